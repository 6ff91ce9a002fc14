// The process group of a data-parallel run: rank, size and the collectives the trainer needs,
// over Open MPI loaded at run time (CMPIShim). Without mpirun in the environment it is a group
// of one whose collectives return their input, so single-process training is unchanged.
// Every wait is bounded (`timeout`): a dead or hung peer ends the run with a message, never a hang.

import CMPIShim
import Foundation

public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    /// Every rank raised it at the same point (`Communicator.agree`), so all can leave MPI cleanly.
    public let isAgreed: Bool
    public init(_ message: String, agreed: Bool = false) {
        description = message
        isAgreed = agreed
    }
}

public final class Communicator {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may wait for the other ranks before the run stops (VITTRAIN_MPI_TIMEOUT,
    /// 300 by default: long enough for rank 0's checkpoint writes and snapshots, which the others
    /// wait out in their next allreduce). A rank that dies is caught sooner: mpirun ends the job.
    /// This bound is for a rank that hangs.
    public let timeout: Double
    private let usesMPI: Bool
    /// Seconds spent blocked waiting for collectives, for the bench and the epoch line.
    public private(set) var waitSeconds = 0.0

    public static let single = Communicator(rank: 0, size: 1, timeout: 0, usesMPI: false)

    private init(rank: Int, size: Int, timeout: Double, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.timeout = timeout
        self.usesMPI = usesMPI
    }

    public var isDistributed: Bool { size > 1 }

    /// The world of the current process: Open MPI's when started by mpirun (which sets
    /// OMPI_COMM_WORLD_SIZE), else a group of one. Initialised once per process.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Communicator {
        if let world = worldCache { return world }
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else {
            worldCache = .single
            return .single
        }
        var error = [CChar](repeating: 0, count: 512)
        let library = environment["VITTRAIN_MPI_LIBRARY"] ?? "libmpi.so.40"
        guard vt_mpi_load(library, &error, Int32(error.count)) == 0 else {
            throw DistributedError("mpirun started this process, but " + String(cString: error))
        }
        var rank: Int32 = 0, size: Int32 = 1
        let code = vt_mpi_init(&rank, &size)
        guard code == 0 else { throw DistributedError("MPI_Init_thread failed: \(errorText(code))") }
        let timeout = environment["VITTRAIN_MPI_TIMEOUT"].flatMap(Double.init) ?? 300
        let world = Communicator(rank: Int(rank), size: Int(size), timeout: timeout, usesMPI: true)
        worldCache = world
        return world
    }

    nonisolated(unsafe) private static var worldCache: Communicator?

    static func errorText(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 512)
        vt_mpi_error_string(code, &text, Int32(text.count))
        return String(cString: text)
    }

    /// Ends the whole job at once (every rank), for errors that leave no consistent way on.
    public func abort(code: Int32 = 1) -> Never {
        if usesMPI { vt_mpi_abort(code) }
        exit(code)
    }

    public func finalize() {
        if usesMPI { _ = vt_mpi_finalize() }
    }

    // MARK: - Requests

    /// One collective in flight. Its buffer must stay allocated until `wait` returns.
    public final class Request {
        fileprivate var handle: UnsafeMutableRawPointer?
        fileprivate let what: String
        public private(set) var isDone = false

        fileprivate init(handle: UnsafeMutableRawPointer?, what: String) {
            self.handle = handle
            self.what = what
            isDone = handle == nil
        }

        /// Lets the library progress the transfer (Open MPI progresses only inside MPI calls);
        /// true when it has completed.
        @discardableResult
        public func poll() throws -> Bool {
            if isDone { return true }
            var done: Int32 = 0
            let code = vt_mpi_test(&handle, &done)
            guard code == 0 else { throw DistributedError("\(what) failed: \(Communicator.errorText(code))") }
            isDone = done != 0
            return isDone
        }
    }

    func started(_ code: Int32, _ handle: UnsafeMutableRawPointer?, _ what: String) throws -> Request {
        guard code == 0 else { throw DistributedError("rank \(rank): \(what) failed to start: \(Communicator.errorText(code))") }
        return Request(handle: handle, what: "rank \(rank): \(what)")
    }

    /// Blocks until `request` completes, polling with short sleeps; throws after `timeout` s.
    public func wait(_ request: Request) throws {
        if try request.poll() { return }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var spins = 0
        while try !request.poll() {
            spins += 1
            // Spin first (a reduction of a few MB finishes in microseconds to milliseconds), then yield.
            if spins > 1000 { usleep(50) }
            if spins % 1000 == 0 {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if elapsed > timeout {
                    throw DistributedError("rank \(rank): no answer from the other \(size - 1) rank(s) for \(Int(timeout)) s in \(request.what.dropFirst("rank \(rank): ".count)); a rank has died or hangs (mpirun names it above); stopping")
                }
            }
        }
    }

    // MARK: - Non-blocking collectives on caller-owned buffers

    /// Starts an in-place sum of `buffer` over all ranks.
    public func startSum(_ buffer: UnsafeMutableBufferPointer<Float>, what: String) throws -> Request {
        guard usesMPI, size > 1 else { return Request(handle: nil, what: what) }
        var handle: UnsafeMutableRawPointer?
        return try started(vt_mpi_iallreduce_sum_float(buffer.baseAddress, Int32(buffer.count), &handle), handle, what)
    }

    // MARK: - Blocking collectives (bounded waits)

    /// Element-wise sum over ranks, in place.
    public func sum(_ values: inout [Double], what: String) throws {
        guard usesMPI, size > 1 else { return }
        try values.withUnsafeMutableBufferPointer { b in
            var handle: UnsafeMutableRawPointer?
            try wait(try started(vt_mpi_iallreduce_sum_double(b.baseAddress, Int32(b.count), &handle), handle, what))
        }
    }

    /// Element-wise sum over ranks of floats, in place.
    public func sum(_ values: inout [Float], what: String) throws {
        guard usesMPI, size > 1 else { return }
        try values.withUnsafeMutableBufferPointer { b in try wait(try startSum(b, what: what)) }
    }

    /// Element-wise maximum over ranks, in place.
    public func max(_ values: inout [Double], what: String) throws {
        guard usesMPI, size > 1 else { return }
        try values.withUnsafeMutableBufferPointer { b in
            var handle: UnsafeMutableRawPointer?
            try wait(try started(vt_mpi_iallreduce_max_double(b.baseAddress, Int32(b.count), &handle), handle, what))
        }
    }

    /// Rank `root`'s `values` on every rank (the counts must agree).
    public func broadcast(_ values: inout [Float], root: Int = 0, what: String) throws {
        guard usesMPI, size > 1 else { return }
        try values.withUnsafeMutableBytes { b in
            var handle: UnsafeMutableRawPointer?
            try wait(try started(vt_mpi_ibcast_bytes(b.baseAddress, Int32(b.count), Int32(root), &handle), handle, what))
        }
    }

    /// Every rank's bytes, in rank order. Messages of different lengths are padded to the longest.
    public func gather(_ bytes: [UInt8], what: String) throws -> [[UInt8]] {
        guard usesMPI, size > 1 else { return [bytes] }
        var longest = [Double(bytes.count)]
        try max(&longest, what: what)
        let width = Int(longest[0]) + 8
        var sent = [UInt8](repeating: 0, count: width)
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { sent.replaceSubrange(0..<8, with: $0) }
        sent.replaceSubrange(8..<(8 + bytes.count), with: bytes)
        var received = [UInt8](repeating: 0, count: width * size)
        try sent.withUnsafeBytes { s in
            try received.withUnsafeMutableBytes { r in
                var handle: UnsafeMutableRawPointer?
                try wait(try started(vt_mpi_iallgather_bytes(s.baseAddress, Int32(width), r.baseAddress, &handle), handle, what))
            }
        }
        return (0..<size).map { r in
            let base = r * width
            let count = received[base..<(base + 8)].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
            return Array(received[(base + 8)..<(base + 8 + min(count, width - 8))])
        }
    }
}
