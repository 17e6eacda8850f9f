package io.wstunnel.srv.auth;

import static io.wstunnel.srv.auth.CredentialAssertions.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordsFileTest {
    static final String T1 = "first-token-0123456789";
    static final String T2 = "second-token-0123456789";

    @TempDir
    Path dir;

    static String hash(String pw) {
        return PasswordHash.create(pw.toCharArray(), 10_000).toString();
    }

    @Test
    void linesCommentsAndBlanks() {
        Map<String, HashedPassword> m = PasswordsFile.parse("f", "# agents\n\n" + T1 + ":" + hash("one") + "\r\n  # x\n"
                + T2 + ":" + hash("two") + "\n");
        assertThat(m).containsOnlyKeys(T1, T2);
        assertThat(m.get(T1).matches(utf8("one"))).isTrue();
        assertThat(m.get(T2).matches(utf8("one"))).isFalse();
    }

    @Test
    void bcryptAndPbkdf2LinesMix() {
        Map<String, HashedPassword> m = PasswordsFile.parse("f", T1 + ":" + hash("one") + "\n"
                + T2 + ":$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n");
        assertThat(m.get(T1).algorithm()).isEqualTo("pbkdf2-sha256");
        assertThat(m.get(T2).algorithm()).isEqualTo("bcrypt");
        assertThat(m.get(T2).matches(utf8("U*U"))).isTrue();
        assertThat(m.get(T2).matches(utf8("one"))).isFalse();
    }

    @Test
    void aMalformedBcryptLineIsNamed() {
        String bad = "$2b$10$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe"; // one character short
        assertThatThrownBy(() -> PasswordsFile.parse("pw.txt", "# ok\n" + T1 + ":" + hash("one") + "\n" + T2 + ":" + bad + "\n"))
                .hasMessageStartingWith("-passwords-file pw.txt line 3: bcrypt hash must be")
                .hasMessageNotContaining("CCCC").hasMessageNotContaining(T2);
        assertThatThrownBy(() -> PasswordsFile.parse("pw.txt", T1 + ":" + bad.replace("$10$", "$40$") + "C\n"))
                .hasMessage("-passwords-file pw.txt line 1: bcrypt cost must be 4..31, got 40");
    }

    @Test
    void errorsNameTheLineButNeverAWholeToken() {
        assertThatThrownBy(() -> PasswordsFile.parse("f", "\nshort-token:" + hash("x")))
                .hasMessageContaining("line 2").hasMessageContaining("too short").hasMessageNotContaining("short-token");
        assertThatThrownBy(() -> PasswordsFile.parse("f", T1 + ":plaintext-password"))
                .hasMessageContaining("line 1").hasMessageNotContaining("plaintext-password").hasMessageNotContaining(T1);
        assertThatThrownBy(() -> PasswordsFile.parse("f", T1 + "\n")).hasMessageContaining("token:hash");
        assertThatThrownBy(() -> PasswordsFile.parse("f", T1 + ":" + hash("a") + "\n" + T1 + ":" + hash("b")))
                .hasMessageContaining("line 2").hasMessageContaining("twice");
    }

    @Test
    void storeMergesPlainAndHashedAndRefusesShortOrDuplicateTokens() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), T1 + ":" + hash("hashed") + "\n");
        PasswordStore s = PasswordStore.load(Map.of(T2, "plain"), f.toString());
        assertThat(s.lookup(T1).expensive()).isTrue();
        assertThat(s.lookup(T1).matches(utf8("hashed"))).isTrue();
        assertThat(s.lookup(T2).matches(utf8("plain"))).isTrue();
        assertThat(s.lookup("unknown-token-0123456789")).isNull();
        assertThatThrownBy(() -> PasswordStore.load(Map.of("short", "pw"), "")).hasMessageContaining("-passwords")
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> PasswordStore.load(Map.of(T1, "pw"), f.toString())).hasMessageContaining("also in -passwords");
        assertThatThrownBy(() -> PasswordStore.load(Map.of(), dir.resolve("none").toString()))
                .hasMessageContaining("no such file");
    }

    @Test
    void storeReloadsWhenTheFileChangesAndKeepsTheOldEntriesOnABadFile() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), T1 + ":" + hash("old") + "\n");
        PasswordStore s = PasswordStore.load(Map.of(), f.toString());
        assertThat(s.reloadIfChanged()).isFalse();
        Files.writeString(f, T1 + ":" + hash("new") + "\n" + T2 + ":" + hash("two") + "\n");
        assertThat(s.reloadIfChanged()).isTrue();
        assertThat(s.lookup(T1).matches(utf8("new"))).isTrue();
        assertThat(s.lookup(T1).matches(utf8("old"))).isFalse();
        assertThat(s.size()).isEqualTo(2);
        Files.writeString(f, "garbage\n");
        assertThat(s.reloadIfChanged()).isFalse();
        assertThat(s.size()).isEqualTo(2);
        Files.delete(f);
        assertThat(s.reloadIfChanged()).isFalse();
        assertThat(s.lookup(T2)).isNotNull();
        Files.writeString(f, "# nobody\n");
        assertThat(s.reloadIfChanged()).isTrue();
        assertThat(s.lookup(T2)).isNull();
    }

    @Test
    void aMatchedPasswordIsRememberedSoReconnectsAreCheap() {
        Credential c = Credential.hashed(PasswordHash.create("pw".toCharArray(), 2_000_000));
        CredentialAssertions.assertMatchIsRemembered(c);
    }
}
