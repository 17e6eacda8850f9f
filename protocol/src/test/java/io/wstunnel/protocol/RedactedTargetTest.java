package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Log lines show a request target with its query values replaced, names kept, and a length cap. */
class RedactedTargetTest {

    @Test
    void everyQueryValueIsReplacedAndEveryNameKept() {
        assertThat(RedactedTarget.of("/search?q=abc&token=xyz")).isEqualTo("/search?q=...&token=...");
        assertThat(RedactedTarget.of("/login?user=bob&password=s3cr%26t&remember"))
                .isEqualTo("/login?user=...&password=...&remember");
        assertThat(RedactedTarget.of("http://localhost:8000/cb?code=abc&state=1"))
                .isEqualTo("http://localhost:8000/cb?code=...&state=...");
        assertThat(RedactedTarget.of("ws://127.0.0.1:9/ws?access_token=eyJhbGciOi"))
                .isEqualTo("ws://127.0.0.1:9/ws?access_token=...");
    }

    @Test
    void aValueRunsToTheNextAmpersandWhateverItHoldsAndOnlyTheFirstQuestionMarkCounts() {
        assertThat(RedactedTarget.of("/a?x=1=2;y=3#frag&z")).isEqualTo("/a?x=...&z");
        assertThat(RedactedTarget.of("/a?next=/b?token=secret")).isEqualTo("/a?next=...");
        assertThat(RedactedTarget.of("/a?=secret")).isEqualTo("/a?=...");
    }

    @Test
    void namesOnlyEmptyValuesAndEmptyPartsStayAsTheyAre() {
        assertThat(RedactedTarget.of("/a?debug")).isEqualTo("/a?debug");
        assertThat(RedactedTarget.of("/a?x=&y")).isEqualTo("/a?x=&y");
        assertThat(RedactedTarget.of("/a?")).isEqualTo("/a?");
        assertThat(RedactedTarget.of("/a?&&b=1&")).isEqualTo("/a?&&b=...&");
    }

    @Test
    void aTargetWithoutQueryIsUnchanged() {
        assertThat(RedactedTarget.of("/plain/path")).isEqualTo("/plain/path");
        assertThat(RedactedTarget.of("")).isEmpty();
        assertThat(RedactedTarget.of(null)).isNull();
    }

    @Test
    void anAbsoluteUrlLosesItsUserInfo() {
        assertThat(RedactedTarget.of("http://user:pw@localhost:8000/a?k=v")).isEqualTo("http://...@localhost:8000/a?k=...");
        assertThat(RedactedTarget.of("https://u:p@ss@host")).isEqualTo("https://...@host");
        assertThat(RedactedTarget.of("http://host/mail@example.com")).isEqualTo("http://host/mail@example.com");
        assertThat(RedactedTarget.of("/r/http://u:p@h/x")).isEqualTo("/r/http://u:p@h/x"); // a path, not a URL
        assertThat(RedactedTarget.of("/r?to=http://u:p@h/")).isEqualTo("/r?to=...");
    }

    @Test
    void aLongTargetIsCutAndSaysHowLongItWas() {
        String path = "/" + "p".repeat(2000);
        String shown = RedactedTarget.of(path + "?k=v");
        assertThat(shown).startsWith("/ppp").endsWith("...(2005 chars)")
                .hasSize(RedactedTarget.MAX_CHARS + "...(2005 chars)".length());
        assertThat(RedactedTarget.of("/" + "p".repeat(RedactedTarget.MAX_CHARS - 1))).hasSize(RedactedTarget.MAX_CHARS)
                .doesNotContain("chars)");
    }

    @Test
    void theCutNeverSplitsASurrogatePair() {
        String path = "/" + "p".repeat(RedactedTarget.MAX_CHARS - 2) + "\uD83D\uDE00" + "tail";
        String shown = RedactedTarget.of(path);
        assertThat(shown).doesNotContain("\uD83D").startsWith("/" + "p".repeat(RedactedTarget.MAX_CHARS - 2) + "...(");
    }

    @Property(tries = 300)
    void noValueSurvivesAndEveryNameDoes(@ForAll("params") List<String[]> params) {
        StringBuilder q = new StringBuilder("/p?");
        for (int i = 0; i < params.size(); i++) {
            q.append(i == 0 ? "" : "&").append(params.get(i)[0]).append('=').append("SECRET").append(params.get(i)[1]);
        }
        String shown = RedactedTarget.of(q.toString());
        assertThat(shown).doesNotContain("SECRET");
        for (String[] p : params) {
            assertThat(shown).contains(p[0] + "=" + RedactedTarget.ELIDED);
        }
    }

    @Provide
    Arbitrary<List<String[]>> params() {
        Arbitrary<String> name = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8);
        Arbitrary<String> value = Arbitraries.strings().withChars("ab=;?#/%+ 9").ofMaxLength(8);
        return name.list().ofMinSize(1).ofMaxSize(6).flatMap(names -> value.list().ofSize(names.size())
                .map(values -> {
                    List<String[]> out = new java.util.ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                        out.add(new String[] {names.get(i), values.get(i)});
                    }
                    return out;
                }));
    }
}
