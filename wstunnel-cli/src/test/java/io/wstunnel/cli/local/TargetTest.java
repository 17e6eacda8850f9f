package io.wstunnel.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TargetTest {
    @Test
    void serverPrefixIsKeptAndTargetAppended() {
        Target t = Target.resolve(null, URI.create("http://h:8080/prefix"), null, "/a/b?c=d");
        assertThat(t).isEqualTo(new Target.Forward("http", "h", 8080, "/prefix/a/b?c=d", "http://h:8080/prefix/a/b?c=d"));
        Target slash = Target.resolve(null, URI.create("https://h/"), null, "/x");
        assertThat(((Target.Forward) slash).path()).isEqualTo("/x");
        assertThat(((Target.Forward) slash).port()).isEqualTo(-1);
    }

    @Test
    void shownUrlNeverCarriesUserInfo() {
        Target t = Target.resolve(null, URI.create("http://user:s3cret@h:8080/p"), null, "/a?b=c");
        assertThat(t).isEqualTo(new Target.Forward("http", "h", 8080, "/p/a?b=c", "http://h:8080/p/a?b=c"));
        Target x = Target.resolve("https://u:pw@[::1]:9443", null, Pattern.compile(".*"), "/");
        assertThat(((Target.Forward) x).url()).isEqualTo("https://[::1]:9443/");
    }

    @Test
    void xHostMustMatchTheWholePattern() {
        Pattern p = Pattern.compile("https://.*\\.example\\.com");
        assertThat(Target.resolve("https://www.example.com", null, p, "/")).isInstanceOf(Target.Forward.class);
        assertThat(Target.resolve("https://www.example.com.evil", null, p, "/")).isEqualTo(new Target.Refuse(403,
                "X-Host header 'https://www.example.com.evil' does not match regexp in wstunnel cli"));
        assertThat(Target.resolve("https://www.example.com", URI.create("http://s"), null, "/")).isEqualTo(new Target.Refuse(403,
                "X-Host header disallowed by wstunnel cli (no -regexp option)"));
        assertThat(Target.resolve(null, null, p, "/")).isEqualTo(new Target.Refuse(403,
                "X-Host header required by wstunnel cli (no -server option)"));
    }

    @Test
    void unusableTargetIs502() {
        assertThat(Target.resolve("ftp://x", null, Pattern.compile(".*"), "/")).isInstanceOf(Target.Refuse.class)
                .extracting(r -> ((Target.Refuse) r).status()).isEqualTo(502);
    }
}
