import Foundation
import InboardServer
import InboardStore
import Logging

/// What every command needs before it starts: validated settings and a logger at their level.
struct CommandEnvironment {
    let configuration: ServerConfiguration
    let logger: Logger

    static func load() throws(CommandFailure) -> CommandEnvironment {
        let configuration: ServerConfiguration
        do { configuration = try ServerConfiguration(environment: ProcessInfo.processInfo.environment) } catch { throw CommandFailure(error) }
        bootstrapLogging(level: configuration.logLevel)
        var logger = Logger(label: "inboard")
        logger.logLevel = configuration.logLevel
        return CommandEnvironment(configuration: configuration, logger: logger)
    }

    var database: Database { Database(url: configuration.databaseURL, logger: logger) }

    private static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
