// Runs one fuzz target for a bounded time in forked worker processes, so a trap or a segfault in a
// parser (Swift or C: libhdf5, libpng, zlib) costs one worker, not the test run. A worker reports
// each input's outcome over a pipe; the parent notices a crash (worker died), a hang (no report
// within the per-input time box) or a bad error (not one line, not naming the file or key).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a fuzz run found.
struct FuzzSummary {
    var executions = 0
    var distinctErrors = Set<String>()
    var successes = 0
    var crashes: [String] = []
    var hangs: [String] = []
    var badErrors: [String] = []
    var failures: [String] { crashes + hangs + badErrors }
}

/// Settings shared by every target, from the environment.
struct FuzzSettings {
    /// VITTRAIN_FUZZ_SECONDS: time per target (default 10).
    var seconds: Double
    /// VITTRAIN_FUZZ_SEED: the run's seed (default fixed, so CI runs are repeatable).
    var seed: UInt64
    /// VITTRAIN_FUZZ_START: first iteration (to replay a failure).
    var start: Int
    /// VITTRAIN_FUZZ_INPUT_TIMEOUT: seconds one input may take before it counts as a hang.
    var inputTimeout: Double

    static func fromEnvironment() -> FuzzSettings {
        let env = ProcessInfo.processInfo.environment
        return FuzzSettings(seconds: env["VITTRAIN_FUZZ_SECONDS"].flatMap(Double.init) ?? 10,
                            seed: env["VITTRAIN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_123,
                            start: env["VITTRAIN_FUZZ_START"].flatMap(Int.init) ?? 0,
                            inputTimeout: env["VITTRAIN_FUZZ_INPUT_TIMEOUT"].flatMap(Double.init) ?? 20)
    }
}

enum ForkedFuzzRunner {
    private enum Outcome: UInt8 { case accepted = 0, rejected = 1, badError = 2 }
    /// Workers may not allocate more than this (address space); an absurd allocation then kills
    /// the worker and is reported as a crash instead of swapping the machine.
    static let workerMemoryLimit: UInt64 = 6 << 30
    static let maximumFailures = 5

    static func run(_ target: FuzzTarget, settings: FuzzSettings) -> FuzzSummary {
        let work = NSTemporaryDirectory() + "vittrain-fuzz-\(getpid())-\(target.name)"
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let deadline = Date().addingTimeInterval(settings.seconds)
        var summary = FuzzSummary()
        var next = settings.start
        while Date() < deadline && summary.failures.count < maximumFailures {
            next = runWorker(target, settings: settings, from: next, deadline: deadline, work: work, summary: &summary)
        }
        return summary
    }

    /// Forks a worker starting at iteration `from`; returns the iteration to continue with.
    private static func runWorker(_ target: FuzzTarget, settings: FuzzSettings, from: Int, deadline: Date,
                                  work: String, summary: inout FuzzSummary) -> Int {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("fuzz: pipe failed: \(String(cString: strerror(errno)))") }
        fflush(stdout)
        fflush(stderr)
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            var limit = rlimit(rlim_cur: rlim_t(workerMemoryLimit), rlim_max: rlim_t(workerMemoryLimit))
            _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
            workerLoop(target, settings: settings, from: from, deadline: deadline, work: work, fd: fds[1])
            _exit(0)
        }
        close(fds[1])
        let reader = fds[0]
        defer { close(reader) }
        var buffer: [UInt8] = []
        var iteration = from
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var poller = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(settings.inputTimeout * 1000))
            if ready == 0 {  // no report within the time box: a hang
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                summary.hangs.append(failure(target, settings, iteration, "hang (no result within \(settings.inputTimeout) s)"))
                return iteration + 1
            }
            if ready < 0 { if errno == EINTR { continue } else { break } }
            let n = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer += chunk[0..<n]
            // Records: iteration (8 bytes LE), outcome (1), message length (4 LE), message.
            var position = 0
            while buffer.count - position >= 13 {
                let length = Int(loadLE(buffer, position + 9, 4))
                guard buffer.count - position >= 13 + length else { break }
                let done = Int(loadLE(buffer, position, 8))
                let outcome = Outcome(rawValue: buffer[position + 8]) ?? .badError
                let message = String(decoding: buffer[(position + 13)..<(position + 13 + length)], as: UTF8.self)
                summary.executions += 1
                switch outcome {
                case .accepted: summary.successes += 1
                case .rejected: summary.distinctErrors.insert(normalised(message, work: work))
                case .badError: summary.badErrors.append(failure(target, settings, done, message))
                }
                iteration = done + 1
                position += 13 + length
            }
            buffer.removeFirst(position)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let signal = status & 0x7F
        if signal != 0 {
            summary.crashes.append(failure(target, settings, iteration, "crash (signal \(signal))"))
            return iteration + 1
        }
        if (status >> 8) & 0xFF != 0 {
            summary.crashes.append(failure(target, settings, iteration, "worker exited with status \((status >> 8) & 0xFF)"))
            return iteration + 1
        }
        return iteration
    }

    /// The worker: generate, feed and report inputs until the deadline.
    private static func workerLoop(_ target: FuzzTarget, settings: FuzzSettings, from: Int, deadline: Date,
                                   work: String, fd: Int32) {
        var iteration = from
        while Date() < deadline {
            let input = target.input(iteration, seed: settings.seed)
            let directory = "\(work)/\(iteration)"
            mkdir(directory, 0o755)
            var outcome = Outcome.accepted
            var message = ""
            do {
                try target.feed(input, directory, iteration)
            } catch {
                message = "\(error)"
                if let problem = target.judge(error, message, directory) {
                    outcome = .badError
                    message = "\(problem): \(message.debugDescription)"
                } else {
                    outcome = .rejected
                }
            }
            removeTree(directory)
            var record: [UInt8] = []
            appendLE(UInt64(iteration), 8, &record)
            record.append(outcome.rawValue)
            let text = Array(message.utf8.prefix(4000))
            appendLE(UInt64(text.count), 4, &record)
            record += text
            var sent = 0
            while sent < record.count {
                let n = record.withUnsafeBytes { write(fd, $0.baseAddress! + sent, record.count - sent) }
                if n <= 0 { _exit(3) }
                sent += n
            }
            iteration += 1
        }
    }

    /// A failure line with everything needed to reproduce it; the input is saved next to it.
    private static func failure(_ target: FuzzTarget, _ settings: FuzzSettings, _ iteration: Int, _ what: String) -> String {
        let folder = NSTemporaryDirectory() + "vittrain-fuzz-failures"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let saved = "\(folder)/\(target.name)-seed\(settings.seed)-iteration\(iteration).bin"
        _ = FileManager.default.createFile(atPath: saved, contents: Data(target.input(iteration, seed: settings.seed)))
        return "fuzz \(target.name): \(what) at seed \(settings.seed) iteration \(iteration); input saved to \(saved); "
            + "replay with VITTRAIN_FUZZ_SEED=\(settings.seed) VITTRAIN_FUZZ_START=\(iteration)"
    }

    /// An error message with the work folder and numbers blanked, so "distinct" means distinct kinds.
    private static func normalised(_ message: String, work: String) -> String {
        var out = ""
        var lastWasDigit = false
        for ch in message.replacingOccurrences(of: work, with: "<dir>") {
            let digit = ch.isASCII && ch.isNumber
            if digit { if !lastWasDigit { out.append("#") } } else { out.append(ch) }
            lastWasDigit = digit
        }
        return out
    }

    private static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func loadLE(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << UInt64(8 * $1) }
    }

    private static func appendLE(_ value: UInt64, _ width: Int, _ out: inout [UInt8]) {
        for k in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * k))) }
    }
}
