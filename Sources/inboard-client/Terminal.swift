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
            // Ctrl-C while echo is off must not leave the terminal silent.
            echoToRestore = saved
            signal(SIGINT, restoreEchoAndExit)
            signal(SIGTERM, restoreEchoAndExit)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard let line = readLine(strippingNewline: true) else { throw .usage("no password given") }
        return line
    }
}

/// The terminal settings to put back if a signal ends the program during a password prompt.
nonisolated(unsafe) private var echoToRestore: termios?

private func restoreEchoAndExit(_ signal: Int32) {
    if var saved = echoToRestore { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
    _exit(128 + signal)
}
