import Foundation
import PostgresNIO

extension Database {
    /// PostgreSQL's version number (150018 for 15.18) and how far its clock is from this machine's, in
    /// seconds: what setup's prerequisites and `inboard doctor` check first.
    public func serverVersionAndClockSkew() async throws -> (version: Int, skew: Double) {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT current_setting('server_version_num')::int, extract(epoch FROM clock_timestamp())::float8",
                logger: logger)
            for try await (version, epoch) in rows.decode((Int, Double).self) {
                return (version, epoch - Date().timeIntervalSince1970)
            }
            return (0, 0)
        }
    }
}
