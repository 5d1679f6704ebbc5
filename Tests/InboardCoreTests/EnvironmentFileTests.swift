import InboardCore
import Testing

/// The environment file `inboard setup` writes and every command reads, as systemd's EnvironmentFile= reads it.
@Suite struct EnvironmentFileTests {
    @Test func whatIsWrittenIsReadBackAsItWas() {
        let values = [
            "INBOARD_DATABASE_URL": "postgres://inboard:pw@db/inboard?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "INBOARD_PLAIN": "8080", "INBOARD_EMPTY": "", "INBOARD_SPACES": "a b",
            "INBOARD_HAND_WRITTEN": #"it's "quoted" $HOME `x` C:\dir\"#,
        ]
        #expect(EnvironmentFile.parse(EnvironmentFile.text(values)) == values)
    }

    @Test func quotesAreTakenOffAsSystemdDoes() {
        let text = """
            # a comment
            ; another
              INBOARD_A = 'single $x \\n'
            INBOARD_B="double \\" \\\\ \\$ \\` and C:\\x"
            INBOARD_C=bare
            not a setting
            """
        #expect(
            EnvironmentFile.parse(text) == [
                "INBOARD_A": #"single $x \n"#, "INBOARD_B": #"double " \ $ ` and C:\x"#, "INBOARD_C": "bare",
            ])
    }

    /// What systemd does with a file written by hand: a bare backslash escapes the next character (the server,
    /// started by systemd, would otherwise log in with another password than the commands), a backslash at the
    /// end of a line joins the next, quoted parts run together with bare ones and may span lines, whitespace
    /// around keys and after bare values goes.
    @Test func handWrittenValuesAreReadAsSystemdReadsThem() {
        let text = """
            INBOARD_BARE=pa\\\\ss\\ word\\#1
            INBOARD_JOINED=first \\
            second
            INBOARD_PARTS='a b'"c d"e\\tf
            INBOARD_SPAN="one
            two"
            INBOARD_KEY   =   value with  inner  spaces\t\u{20}
            INBOARD_EMPTY=
            ;INBOARD_COMMENTED=1
            INBOARD_LAST='unterminated
            """
        #expect(
            EnvironmentFile.parse(text) == [
                "INBOARD_BARE": #"pa\ss word#1"#, "INBOARD_JOINED": "first second", "INBOARD_PARTS": "a bc detf",
                "INBOARD_SPAN": "one\ntwo", "INBOARD_KEY": "value with  inner  spaces", "INBOARD_EMPTY": "",
                "INBOARD_LAST": "unterminated",
            ])
    }
}
