import Foundation
import InboardClient

/// Questions on the terminal; a secret is read with echo off and echo always restored.
enum Terminal {
    static func ask(_ question: String) throws(ClientError) -> String {
        FileHandle.standardError.write(Data(question.utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw .usage("no answer: give it as an option instead")
        }
        return line
    }

    static func askSecret(_ question: String) throws(ClientError) -> String {
        FileHandle.standardError.write(Data(question.utf8))
        var saved = termios()
        let isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard let line = readLine(strippingNewline: true) else { throw .usage("no password given") }
        return line
    }
}
