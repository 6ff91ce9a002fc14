// Data-parallel training under Open MPI (issue 16), on the real binary: DDP equivalence with one
// process, a two-host run over TCP between network namespaces, a killed rank, SIGINT to mpirun,
// resuming on a different number of ranks, bad input reported once, and the bench section.

import Foundation
import XCTest

final class DistributedTrainingTests: XCTestCase {
    /// No augmentation, no dropout or drop path, Adam eps 1e-3: then 2 ranks × 32 and 1 rank × 64
    /// differ only by summation order, which eps keeps from swaying near-zero gradients.
    /// 384 images = 6 global batches of 64 per epoch.
    static let config = #"""
    {"name": "ddp",
     "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 2},
     "data": {"dataset": "synthetic", "train_count": 384, "val_count": 64, "augmentation": {"horizontal_flip": false}},
     "optim": {"lr": 0.001, "eps": 0.001},
     "schedule": {"warmup_steps": 2},
     "train": {"epochs": 1, "batch_size": 64, "seed": 5, "threads": 1, "log_every": 1},
     "eval": {"probe_images": 0}}
    """#

    private func makeRunner() throws -> CLIRunner {
        try MPI.skipUnlessAvailable()
        let cli = try CLIRunner()
        try cli.write(DistributedTrainingTests.config, to: "ddp.json")
        return cli
    }

    func testTwoRanksOfBatch32EndWithin1e5OfOneRankOfBatch64AfterSixSteps() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let one = try cli.run(["--config", "ddp.json", "--set", "checkpoint.dir=one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try cli.mpirun(2, ["--config", "ddp.json", "--set", "checkpoint.dir=two", "--set", "train.batch_size=32"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.stderr.contains("2 ranks × batch 32 (global batch 64)"), two.stderr)
        XCTAssertEqual(try cli.intAttribute("step", of: "two/last.h5"), 6)
        XCTAssertEqual(try cli.intAttribute("world_size", of: "two/last.h5"), 2)
        // Rank 0 alone writes: one progress line per step, not two.
        XCTAssertEqual(two.stderr.components(separatedBy: "step 6 loss").count - 1, 1, two.stderr)
        let difference = largestRelativeDifference(try cli.modelValues("one/last.h5"), try cli.modelValues("two/last.h5"))
        XCTAssertLessThan(difference, 1e-5)
        // The weights moved, so the comparison is not between two copies of the initialisation.
        let initial = try cli.run(["--config", "ddp.json", "--set", "checkpoint.dir=zero", "--set", "optim.lr=0"])
        XCTAssertEqual(initial.status, 0, initial.stderr)
        XCTAssertGreaterThan(largestRelativeDifference(try cli.modelValues("zero/last.h5"), try cli.modelValues("one/last.h5")), 1e-3)
    }

    func testTwoRanksOnTwoNamespaceHostsOverTCPMatchTheOneMachineRun() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let hosts = try NamespaceHosts(cli: cli)
        defer { hosts.remove() }
        let local = try cli.mpirun(2, ["--config", "ddp.json", "--set", "checkpoint.dir=local", "--set", "train.batch_size=32"])
        XCTAssertEqual(local.status, 0, local.stderr)
        let sentBefore = try hosts.bytesSent()
        let remote = try cli.run(hosts.mpirunArguments(["--config", "ddp.json", "--set", "checkpoint.dir=remote", "--set", "train.batch_size=32"]),
                                 executable: hosts.ipExecutable, environment: MPI.environment)
        XCTAssertEqual(remote.status, 0, remote.stdout + remote.stderr)
        // mpirun's map puts rank 1 on the second host …
        XCTAssertTrue(remote.stdout.contains("Data for node: \(NamespaceHosts.addresses[1])"), remote.stdout)
        // … and the gradients crossed the veth link: 6 steps × 27,814 floats each way at least.
        XCTAssertGreaterThan(try hosts.bytesSent() - sentBefore, 6 * 27_814 * 4)
        XCTAssertEqual(try cli.modelValues("remote/last.h5"), try cli.modelValues("local/last.h5"))
    }

    func testAKilledRankStopsTheOthersWithinAMinuteNamingItAndTheRunResumes() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let long = ["--config", "ddp.json", "--set", "checkpoint.dir=run", "--set", "train.batch_size=32", "--set", "train.epochs=300"]
        let job = try cli.startMPI(2, long, log: "job.log")
        defer { if job.isRunning { kill(job.processIdentifier, SIGKILL) } }
        XCTAssertTrue(cli.waitForFile("run/epoch-0002.h5", timeout: 120), "no second checkpoint")
        let victim = try XCTUnwrap(rankProcess(1, under: job.processIdentifier), "no rank 1 under mpirun")
        let killed = Date()
        kill(victim, SIGKILL)
        let deadline = Date().addingTimeInterval(60)
        while job.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(job.isRunning, "the other rank did not stop within 60 s")
        XCTAssertLessThan(Date().timeIntervalSince(killed), 60)
        let log = try String(contentsOfFile: cli.path("job.log"), encoding: .utf8)
        XCTAssertNotEqual(job.terminationStatus, 0)
        XCTAssertTrue(log.contains("process rank 1 with PID"), log)
        // The last checkpoint is whole, and --resume carries the run on from it.
        let epoch = try cli.intAttribute("epoch", of: "run/last.h5")
        XCTAssertGreaterThanOrEqual(epoch, 2)
        XCTAssertLessThan(epoch, 300)
        XCTAssertFalse(try cli.modelValues("run/last.h5").isEmpty)
        let resumed = try cli.mpirun(2, long.dropLast() + ["train.epochs=\(epoch + 1)", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming at epoch \(epoch + 1)"), resumed.stderr)
        XCTAssertEqual(try cli.intAttribute("epoch", of: "run/last.h5"), epoch + 1)
    }

    /// A rank that stops answering without dying (SIGSTOP: mpirun sees nothing wrong) cannot hang
    /// the others: their bounded wait (VITTRAIN_MPI_TIMEOUT, here 5 s) ends the run with a line.
    func testAHungRankEndsTheRunAfterTheCollectiveTimeout() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let job = try cli.startMPI(2, ["--config", "ddp.json", "--set", "checkpoint.dir=run", "--set", "train.batch_size=32",
                                       "--set", "train.epochs=300"],
                                   options: ["-x", "VITTRAIN_MPI_TIMEOUT=5"], log: "job.log")
        defer { if job.isRunning { kill(job.processIdentifier, SIGKILL) } }
        XCTAssertTrue(cli.waitForFile("run/epoch-0001.h5", timeout: 120), "no first checkpoint")
        let victim = try XCTUnwrap(rankProcess(1, under: job.processIdentifier), "no rank 1 under mpirun")
        kill(victim, SIGSTOP)
        defer { kill(victim, SIGKILL) }
        let deadline = Date().addingTimeInterval(60)
        while job.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(job.isRunning, "rank 0 waited more than 60 s for a hung rank")
        let log = try String(contentsOfFile: cli.path("job.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("rank 0: no answer from the other 1 rank(s) for 5 s"), log)
        XCTAssertNoThrow(try cli.modelValues("run/last.h5"))
    }

    /// SIGINT to mpirun reaches every rank (as SIGTERM); the ranks agree on one step to stop
    /// after, rank 0 writes one checkpoint, and resuming gives bit for bit the uninterrupted run.
    /// Drop path and dropout are on, so this also checks that each rank's random stream is
    /// saved and restored exactly.
    func testSIGINTToMpirunWritesOneConsistentCheckpointAndResumesExactly() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let args = ["--config", "ddp.json", "--set", "train.batch_size=32", "--set", "train.epochs=80",
                    "--set", "model.drop_path_rate=0.2", "--set", "model.drop_rate=0.1"]
        let straight = try cli.mpirun(2, args + ["--set", "checkpoint.dir=straight"])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let job = try cli.startMPI(2, args + ["--set", "checkpoint.dir=stopped"], log: "job.log")
        defer { if job.isRunning { kill(job.processIdentifier, SIGKILL) } }
        XCTAssertTrue(cli.waitForFile("stopped/epoch-0001.h5", timeout: 120), "no first checkpoint")
        usleep(100_000)
        job.interrupt()
        job.waitUntilExit()
        let log = try String(contentsOfFile: cli.path("job.log"), encoding: .utf8)
        // One checkpoint, written by rank 0 alone, named once.
        XCTAssertEqual(log.components(separatedBy: "interrupted: checkpoint written").count - 1, 1, log)
        XCTAssertTrue(log.contains("mpirun -np 2 vittrain train --resume-from"), log)
        XCTAssertFalse(log.contains("Fatal error"), log)
        // mpirun reports any rank that exited non-zero; every rank exits 0 here (mpirun itself
        // returns 1 for a job ended by a signal, which the test does not check).
        XCTAssertFalse(log.contains("non-zero exit code"), log)
        XCTAssertLessThan(try cli.intAttribute("epoch", of: "stopped/last.h5"), 80, "the run should have stopped early")
        let resumed = try cli.mpirun(2, args + ["--set", "checkpoint.dir=stopped", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try cli.modelValues("stopped/last.h5"), try cli.modelValues("straight/last.h5"))
    }

    /// SIGUSR1 to mpirun (which Open MPI forwards to every rank unchanged) stops the run as
    /// SIGINT does — one checkpoint, every rank exits 0 — and then mpirun itself exits 0 too.
    func testSIGUSR1ToMpirunStopsWithOneCheckpointAndExitStatusZero() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let job = try cli.startMPI(2, ["--config", "ddp.json", "--set", "train.batch_size=32", "--set", "train.epochs=80",
                                       "--set", "checkpoint.dir=stopped"], log: "job.log")
        defer { if job.isRunning { kill(job.processIdentifier, SIGKILL) } }
        XCTAssertTrue(cli.waitForFile("stopped/epoch-0001.h5", timeout: 120), "no first checkpoint")
        kill(job.processIdentifier, SIGUSR1)
        job.waitUntilExit()
        let log = try String(contentsOfFile: cli.path("job.log"), encoding: .utf8)
        XCTAssertEqual(job.terminationStatus, 0, log)
        XCTAssertEqual(log.components(separatedBy: "interrupted: checkpoint written").count - 1, 1, log)
        XCTAssertLessThan(try cli.intAttribute("epoch", of: "stopped/last.h5"), 80, "the run should have stopped early")
        XCTAssertNoThrow(try cli.modelValues("stopped/last.h5"))
    }

    /// What is checked: a run that changes its number of ranks at an epoch boundary, keeping the
    /// global batch at 64 (2 × 32 or 1 × 64), ends within 1e-5 of the run that never changed —
    /// so weights, AdamW moments and step, the schedule's position and the data order all carry
    /// over — in both directions, 2 → 1 and 1 → 2.
    func testResumingTwoRanksOnOneAndOneRankOnTwoContinuesTheSameRun() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let two = ["--config", "ddp.json", "--set", "train.epochs=2", "--set", "train.batch_size=32"]
        let one = ["--config", "ddp.json", "--set", "train.epochs=2"]
        let straight = try cli.run(one + ["--set", "checkpoint.dir=straight"])
        XCTAssertEqual(straight.status, 0, straight.stderr)

        let firstOnTwo = try cli.mpirun(2, two + ["--set", "checkpoint.dir=twoToOne", "--stop-after-epoch", "1"])
        XCTAssertEqual(firstOnTwo.status, 0, firstOnTwo.stderr)
        let thenOne = try cli.run(one + ["--set", "checkpoint.dir=twoToOne", "--resume"])
        XCTAssertEqual(thenOne.status, 0, thenOne.stderr)
        XCTAssertTrue(thenOne.stderr.contains("resuming a 2-rank run on 1 rank(s)"), thenOne.stderr)

        let firstOnOne = try cli.run(one + ["--set", "checkpoint.dir=oneToTwo", "--stop-after-epoch", "1"])
        XCTAssertEqual(firstOnOne.status, 0, firstOnOne.stderr)
        let thenTwo = try cli.mpirun(2, two + ["--set", "checkpoint.dir=oneToTwo", "--resume"])
        XCTAssertEqual(thenTwo.status, 0, thenTwo.stderr)
        XCTAssertTrue(thenTwo.stderr.contains("resuming a 1-rank run on 2 rank(s)"), thenTwo.stderr)

        let reference = try cli.modelValues("straight/last.h5")
        for run in ["twoToOne", "oneToTwo"] {
            XCTAssertEqual(try cli.intAttribute("step", of: "\(run)/last.h5"), 12, run)
            XCTAssertEqual(try cli.intAttribute("epoch", of: "\(run)/last.h5"), 2, run)
            XCTAssertLessThan(largestRelativeDifference(reference, try cli.modelValues("\(run)/last.h5")), 1e-5, run)
        }
    }

    /// Open MPI is a run-time dependency only: the binary does not link libmpi, and when the
    /// environment says mpirun started it but the library is missing, it says so in one line.
    func testTheBinaryDoesNotLinkOpenMPIAndNamesAMissingLibrary() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(DistributedTrainingTests.config, to: "ddp.json")
        let ldd = try cli.run([CLIRunner.binary.path], executable: URL(fileURLWithPath: "/usr/bin/ldd"))
        XCTAssertEqual(ldd.status, 0, ldd.stderr)
        XCTAssertFalse(ldd.stdout.contains("libmpi"), ldd.stdout)
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_COMM_WORLD_SIZE"] = "2"
        environment["VITTRAIN_MPI_LIBRARY"] = "libvittrain-no-such-mpi.so.40"
        let result = try cli.run(["--config", "ddp.json", "--set", "checkpoint.dir=run"], environment: environment)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("cannot load libvittrain-no-such-mpi.so.40"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testAMissingDataFileIsReportedOnceNotOncePerRank() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let result = try cli.mpirun(2, ["--config", "ddp.json", "--set", "data.dataset=hdf5",
                                        "--set", "data.root=no-such-folder/train.h5", "--set", "checkpoint.dir=bad"])
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("no-such-folder") }
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
    }

    /// A problem on one rank only (here rank 1 runs in a folder without the init checkpoint) is
    /// reported once, by rank 0, naming the rank; every rank stops before training.
    func testAProblemOnOneRankIsReportedOnceNamingTheRank() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        XCTAssertEqual(try cli.run(["--config", "ddp.json", "--set", "checkpoint.dir=pre"]).status, 0)
        let elsewhere = cli.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try DistributedTrainingTests.config.write(toFile: elsewhere + "/ddp.json", atomically: true, encoding: .utf8)
        let run = [CLIRunner.binary.path, "--config", "ddp.json", "--set", "init.checkpoint=pre/last.h5", "--set", "checkpoint.dir=run"]
        // Open MPI's MPMD form: one app context per rank, each with its own working directory.
        let arguments = Array(MPI.arguments(ranks: 1, options: ["-wdir", cli.directory.path], []).dropLast())
            + run + [":", "-np", "1", "-wdir", elsewhere] + run
        let result = try cli.run(arguments, executable: MPI.mpirun, environment: MPI.environment)
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("pre/last.h5") }
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines.first?.contains("rank 1: init.checkpoint: pre/last.h5 does not exist") == true, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("run/last.h5")), "training should not have started")
    }

    func testBenchUnderMpirunReportsAllreduceOverlapAndScaling() throws {
        let cli = try makeRunner()
        defer { cli.remove() }
        let result = try cli.mpirun(2, ["bench", "--config", "ddp.json", "--set", "train.batch_size=32", "--steps", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "rank 0 alone prints: \(result.stdout)")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(report["ranks"] as? Int, 2)
        XCTAssertEqual(report["gradient_values"] as? Int, 27_814)
        XCTAssertEqual(report["buckets"] as? Int, 4, "embed, blocks.0, blocks.1, head")
        for key in ["step_seconds_alone", "step_seconds_synchronized", "allreduce_ms", "bus_bandwidth_g_bs", "scaling_efficiency"] {
            let value = try XCTUnwrap(report[key] as? Double, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        XCTAssertNotNil(report["overlapped_ms"] as? Double)
    }

    /// The process of rank `rank` among mpirun's children (Open MPI sets OMPI_COMM_WORLD_RANK).
    private func rankProcess(_ rank: Int, under parent: pid_t) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  status.contains("PPid:\t\(parent)\n"),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
