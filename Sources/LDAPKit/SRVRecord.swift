/// A DNS SRV record (RFC 2782) and the order in which its targets are to be tried.
public struct SRVRecord: Sendable, Hashable {
    public let priority: UInt16
    public let weight: UInt16
    public let port: UInt16
    public let target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// RFC 2782's order: lowest priority first; within one priority, a weighted random draw without
    /// replacement (a record of weight 0 is drawn only when it is the running sum's first match).
    /// A target of "." means "no such service" and is dropped.
    public static func ordered(_ records: [SRVRecord], using generator: inout some RandomNumberGenerator) -> [SRVRecord]
    {
        let usable = records.filter { $0.target != "." && !$0.target.isEmpty }
        var result: [SRVRecord] = []
        for priority in Set(usable.map(\.priority)).sorted() {
            // Zero weights first, as the RFC asks, so that they can be picked when the draw is 0.
            var pool = usable.filter { $0.priority == priority }.sorted {
                ($0.weight == 0 ? 0 : 1) < ($1.weight == 0 ? 0 : 1)
            }
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + Int($1.weight) }
                let draw = total == 0 ? 0 : Int.random(in: 0...total, using: &generator)
                var running = 0
                let index =
                    pool.firstIndex {
                        running += Int($0.weight); return running >= draw
                    } ?? 0
                result.append(pool.remove(at: index))
            }
        }
        return result
    }

    public static func ordered(_ records: [SRVRecord]) -> [SRVRecord] {
        var generator = SystemRandomNumberGenerator()
        return ordered(records, using: &generator)
    }
}
