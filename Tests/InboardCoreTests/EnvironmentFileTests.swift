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
}
