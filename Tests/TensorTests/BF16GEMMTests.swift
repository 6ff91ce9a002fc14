// BF16GEMM against Double references: exact products of the bf16-rounded inputs (tight, 1e-5 of
// the sum of |products|) and of the fp32 inputs (bf16 tolerance), over all four transposes,
// edge sizes, padded strides, alpha ≠ 1, beta 0 on NaN-filled C and beta ≠ 0; plus rounding ties.
// Every check runs on each kernel this CPU has: AVX-512 BF16, and AMX tiles where available.

import XCTest
import Dispatch
import Tensor

final class BF16GEMMTests: XCTestCase {
    /// fp32 → bf16 → fp32, round to nearest even: the reference for what packing must do.
    static func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }

    struct Errors { var tight = 0.0, loose = 0.0 }

    /// Runs one product, checks it, and returns the worst errors relative to the sum of |products|.
    @discardableResult
    func check(_ t: GEMMCase, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) -> Errors {
        let o = GEMMOperands(t, seed: seed)
        let c = o.run(t, on: BF16GEMM.gemm)
        var errors = Errors()
        for i in 0..<t.m {
            for j in 0..<o.ldc {
                let index = i * o.ldc + j
                if j >= t.n {
                    XCTAssertEqual(c[index].bitPattern, o.c[index].bitPattern, "\(t): wrote padding (\(i), \(j))",
                                   file: file, line: line)
                    continue
                }
                var exact = 0.0, rounded = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let x = o.a(t, i, p), y = o.b(t, p, j)
                    exact += Double(x) * Double(y)
                    let product = Double(Self.bf16(x)) * Double(Self.bf16(y))
                    rounded += product
                    magnitude += abs(product)
                }
                let old = t.beta == 0 ? 0 : Double(t.beta) * Double(o.c[index])
                let scale = abs(Double(t.alpha)) * magnitude + abs(old) + 1e-30
                let got = Double(c[index])
                let tight = abs(got - (Double(t.alpha) * rounded + old)) / scale
                let loose = abs(got - (Double(t.alpha) * exact + old)) / scale
                errors.tight = max(errors.tight, tight.isNaN ? .infinity : tight)
                errors.loose = max(errors.loose, loose.isNaN ? .infinity : loose)
            }
        }
        XCTAssertLessThan(errors.tight, 1e-5, "\(t): against the bf16-rounded reference", file: file, line: line)
        // Each bf16 input is off by at most 2^-8 of its rounded value, so each product by at most
        // (1 + 2^-8)^2 - 1 = 0.00782 of the rounded product.
        XCTAssertLessThan(errors.loose, 8e-3, "\(t): against the fp32 reference", file: file, line: line)
        return errors
    }

    override func setUpWithError() throws {
        if !BF16GEMM.isSupported { throw XCTSkip("this CPU has no AVX512_BF16") }
    }

    override func tearDown() {
        BF16GEMM.setUsesAMX(nil)
    }

    /// Runs `body` once per bf16 kernel this CPU has, with that kernel selected.
    func forEachKernel(_ body: (String) -> Void) {
        for amx in BF16GEMM.amxIsAvailable ? [false, true] : [false] {
            BF16GEMM.setUsesAMX(amx)
            XCTAssertEqual(BF16GEMM.usesAMX, amx)
            body(BF16GEMM.kernelName)
        }
        BF16GEMM.setUsesAMX(nil)
    }

    func testAMXKernelRunsWhereTheCPUHasIt() throws {
        guard BF16GEMM.amxIsAvailable else { throw XCTSkip("this CPU (or OS) has no AMX-BF16") }
        BF16GEMM.setUsesAMX(nil)
        XCTAssertEqual(BF16GEMM.usesAMX, ProcessInfo.processInfo.environment["VITTRAIN_AMX"].map { $0 != "off" && $0 != "0" } ?? true)
        BF16GEMM.setUsesAMX(true)
        XCTAssertEqual(BF16GEMM.kernelName, "AMX-BF16 tiles")
    }

    func testEdgeSizesAllTransposes() {
        // (alpha, beta, padding of the row strides)
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (1.5, 0, 3), (-0.75, 1, 5), (2, -0.5, 1)]
        forEachKernel { kernel in
            let worst = sweep(GEMMCase.sweep(GEMMCase.cube([1, 2, 7, 15, 16, 17, 33, 65]), variants: variants, firstSeed: 1))
            print("bf16 gemm (\(kernel)) edge sizes: max error \(worst.tight) (bf16 reference), \(worst.loose) (fp32 reference)")
        }
    }

    /// Sizes that cross the kernel's blocks (768 k = 384 pairs, 1536 columns) with odd remainders
    /// and row counts that are not multiples of the 14-row tile (AVX-512) or of the 16- and 32-row
    /// panels (AMX), in every transpose combination.
    func testBlockBoundariesAllTransposes() {
        let shapes = [(577, 192, 65), (337, 3073, 3), (29, 47, 769), (353, 65, 770), (192, 577, 577), (48, 31, 1545)]
        let variants: [(Float, Float, Int)] = [(1, 0, 0), (0.5, 0, 7), (1, 1, 2), (-1.25, 0.25, 0)]
        forEachKernel { kernel in
            let worst = sweep(GEMMCase.sweep(shapes, variants: variants, firstSeed: 1000))
            print("bf16 gemm (\(kernel)) block boundaries: max error \(worst.tight) (bf16 reference), \(worst.loose) (fp32 reference)")
        }
    }

    /// Checks every case and returns the worst errors.
    func sweep(_ cases: [(GEMMCase, seed: UInt64)], file: StaticString = #filePath, line: UInt = #line) -> Errors {
        var worst = Errors()
        for (t, seed) in cases {
            let e = check(t, seed: seed, file: file, line: line)
            worst.tight = max(worst.tight, e.tight)
            worst.loose = max(worst.loose, e.loose)
        }
        return worst
    }

    func testEmptyProducts() {
        forEachKernel { _ in assertEmptyProducts(BF16GEMM.gemm) }
    }

    /// Values chosen on and around bf16 rounding ties (bf16 keeps 7 mantissa bits): exact ties go
    /// to the even neighbour, anything past a tie goes up, anything short of it goes down.
    /// Each value passes through A (times 1) and through B (times 1), 16+ lanes wide.
    func testRoundingIsNearestEven() {
        forEachKernel(checkRounding)
    }

    func checkRounding(_ kernel: String) {
        let ulp: Float = 1.0 / 128                     // bf16 spacing in [1, 2)
        let cases: [(Float, Float)] = [
            (1 + ulp / 2, 1),                          // tie, 1.0 is even
            (1 + 3 * ulp / 2, 1 + 2 * ulp),            // tie, 1 + 2 ulp is even
            (1 + ulp / 2 + ulp / 4096, 1 + ulp),       // just past the tie
            (1 + ulp / 2 - ulp / 4096, 1),             // just short of the tie
            (-(1 + 3 * ulp / 2), -(1 + 2 * ulp)),      // sign does not change the rule
            (1.5 + ulp, 1.5 + ulp),                    // representable: unchanged
            (3 + 3 * ulp / 2, 3 + 2 * ulp),            // in [2, 4) the spacing is 2 ulp: past the tie
            (3 + ulp, 3),                              // tie at spacing 2 ulp: 3 is even
            (3 + 3 * ulp, 3 + 4 * ulp),                // tie at spacing 2 ulp: 3 + 4 ulp is even
            (256 + 1, 256),                            // tie at spacing 2: 256 is even
            (256 + 3, 260),                            // tie at spacing 2: 260 is even
            (1e-3, Self.bf16(1e-3)),
        ]
        let values = (0..<20).map { cases[$0 % cases.count].0 }
        let expected = (0..<20).map { cases[$0 % cases.count].1 }
        XCTAssertEqual(values.map(Self.bf16), expected, "the test's own reference rounding")
        let one: [Float] = [1]
        var row = [Float](repeating: .nan, count: 20)
        BF16GEMM.gemm(transposeA: false, transposeB: false, m: 1, n: 20, k: 1, alpha: 1, a: one, lda: 1,
                      b: values, ldb: 20, beta: 0, c: &row, ldc: 20)
        XCTAssertEqual(row, expected, "\(kernel): rounding of B")
        var column = [Float](repeating: .nan, count: 20)
        BF16GEMM.gemm(transposeA: false, transposeB: true, m: 20, n: 1, k: 1, alpha: 1, a: values, lda: 1,
                      b: one, ldb: 1, beta: 0, c: &column, ldc: 1)
        XCTAssertEqual(column, expected, "\(kernel): rounding of A")
    }

    /// Calls from several threads at once (per-thread pack buffers) give the serial results bit for bit.
    func testConcurrentCallsMatchSerial() {
        forEachKernel(checkConcurrentCalls)
    }

    func checkConcurrentCalls(_ kernel: String) {
        let shapes = [(300, 70, 500), (65, 600, 33), (17, 17, 900), (400, 40, 40)]
        var rng = RandomGenerator(seed: 7)
        let inputs = shapes.map { (m, n, k) in
            ((0..<m * k).map { _ in rng.nextNormal() }, (0..<k * n).map { _ in rng.nextNormal() })
        }
        func run(_ index: Int) -> [Float] {
            let (m, n, k) = shapes[index]
            var c = [Float](repeating: 0, count: m * n)
            BF16GEMM.gemm(transposeA: false, transposeB: index % 2 == 1, m: m, n: n, k: k, alpha: 1,
                          a: inputs[index].0, lda: k, b: inputs[index].1, ldb: index % 2 == 1 ? k : n,
                          beta: 0, c: &c, ldc: n)
            return c
        }
        let serial = shapes.indices.map(run)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4 * shapes.count)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: results.count) { i in
            results[i] = run(i % shapes.count)
        }
        for i in results.indices {
            XCTAssertEqual(results[i], serial[i % shapes.count], "\(kernel): concurrent call \(i) differs")
        }
    }
}
