import Foundation
import InboardStore

/// The wizard's questions on the terminal: a default in brackets, an answer checked at once and asked again
/// with the reason when it is wrong, passwords read without echo.
struct Prompter {
    struct Cancelled: Error {}

    /// `check` returns the problem with an answer, nil when it will do.
    func ask(_ question: String, default value: String? = nil, check: (String) async -> String? = { _ in nil })
        async throws -> String
    {
        while true {
            // A default that holds a password (a database URL) is shown masked.
            Terminal.write(
                "\(question)\(value.map { $0.isEmpty ? " [none]" : " [\(DatabaseURL.masked($0))]" } ?? ""): ")
            guard let line = readLine() else { throw Cancelled() }
            let answer =
                line.trimmingCharacters(in: .whitespaces).isEmpty
                ? (value ?? "") : line.trimmingCharacters(in: .whitespaces)
            if answer.isEmpty && value == nil {
                Terminal.line("  an answer is needed")
                continue
            }
            if let problem = await check(answer) {
                Terminal.line("  \(problem); try again")
                continue
            }
            return answer
        }
    }

    func askSecret(_ question: String, check: (String) -> String?) throws -> String {
        while true {
            let first = try readSecret(question + ": ")
            if let problem = check(first) {
                Terminal.line("  \(problem); try again")
                continue
            }
            guard try readSecret("Again, to be sure: ") == first else {
                Terminal.line("  the two answers differ; try again")
                continue
            }
            return first
        }
    }

    func confirm(_ question: String) throws -> Bool {
        Terminal.write("\(question) [y/N]: ")
        guard let line = readLine() else { throw Cancelled() }
        return ["y", "yes"].contains(line.trimmingCharacters(in: .whitespaces).lowercased())
    }

    private func readSecret(_ prompt: String) throws -> String {
        var saved = termios()
        let isTerminal = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        }
        // Echo is off before the prompt shows: a password typed as soon as it appears is never echoed.
        Terminal.write(prompt)
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                Terminal.write("\n")
            }
        }
        guard let line = readLine() else { throw Cancelled() }
        return line
    }
}

/// Setup's output, unbuffered, so that a prompt shows before its answer is read and lines keep their order.
enum Terminal {
    static func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    static func line(_ text: String) { write(text + "\n") }
}
