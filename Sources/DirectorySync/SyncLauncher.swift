import Logging
import ServiceLifecycle

/// Runs the syncs that admins start (API, web) inside the server's service group, not in stray tasks: a
/// graceful stop cancels the runs in progress and waits until each has recorded how it ended (an interrupted
/// run is marked failed, and nothing it read is applied); a start asked for while stopping is refused.
public actor SyncLauncher: Service {
    let syncer: DirectorySyncer
    let logger: Logger
    private var runs: [Int: Task<Void, Never>] = [:]
    private var nextKey = 0
    private var stopping = false

    public init(syncer: DirectorySyncer, logger: Logger) {
        self.syncer = syncer
        self.logger = logger
    }

    /// Starts `request` in the background and returns its run id once its record exists.
    public func launch(_ request: SyncRequest) async throws -> Int64 {
        guard !stopping else { throw SyncError.serverStopping }
        let (started, report) = AsyncThrowingStream<Int64, any Error>.makeStream()
        let key = nextKey
        nextKey += 1
        let syncer = self.syncer, logger = self.logger
        runs[key] = Task {
            do {
                _ = try await syncer.run(request, onStarted: { report.yield($0) })
                report.finish()
            } catch {
                logger.notice("sync started from the server failed", metadata: ["error": "\(error)"])
                report.finish(throwing: error)
            }
            self.ended(key)
        }
        do {
            for try await id in started { return id }
        } catch
            where stopping
            && (error is CancellationError || Task.isCancelled)
        {
            throw SyncError.serverStopping  // stopped before its record was written
        }
        throw SyncError.internalFailure("the run ended before its record was written")
    }

    /// Runs in progress (the tests' view of a stop).
    public var inProgress: Int { runs.count }
    /// A graceful stop has begun: new starts are refused.
    public var isStopping: Bool { stopping }

    private func ended(_ key: Int) { runs[key] = nil }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        await stopAll()
    }

    private func stopAll() async {
        stopping = true
        let running = Array(runs.values)
        if !running.isEmpty {
            logger.notice("stopping: interrupting the syncs in progress", metadata: ["runs": "\(running.count)"])
        }
        for run in running { run.cancel() }
        for run in running { await run.value }
    }
}
