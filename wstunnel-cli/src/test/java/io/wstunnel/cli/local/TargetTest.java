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
    }

    @Test
    void xHostWithUserInfoQueryOrFragmentIsRefusedWithoutEchoingIt() {
        // -regexp 'http://allowed\.example.*' must not let 'http://allowed.example@evil' reach host 'evil'
        Pattern loose = Pattern.compile("https?://allowed\\.example.*");
        for (String v : new String[] {"http://allowed.example@127.0.0.1:9", "http://allowed.example:pw@127.0.0.1:9/p",
                "http://allowed.example.@127.0.0.1:9", "https://u:pw@allowed.example"}) {
            assertThat(Target.resolve(v, null, loose, "/")).as(v).isEqualTo(new Target.Refuse(502,
                    "wstunnel cli: invalid target in X-Host: user info is not allowed (need http[s]://host[:port][/prefix])"));
        }
        for (String v : new String[] {"http://allowed.example/p?q=1", "http://allowed.example#x", "http://allowed.example?"}) {
            assertThat(Target.resolve(v, null, loose, "/a")).as(v).isEqualTo(new Target.Refuse(502,
                    "wstunnel cli: invalid target in X-Host: a query or fragment is not allowed (need http[s]://host[:port][/prefix])"));
        }
        assertThat(Target.resolve("http://allowed.example:8080/prefix", null, loose, "/a?b"))
                .isEqualTo(new Target.Forward("http", "allowed.example", 8080, "/prefix/a?b", "http://allowed.example:8080/prefix/a?b"));
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
