package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeadersTest {

    private static List<String> names(Headers h) {
        return h.fields().stream().map(Header::name).toList();
    }

    @Test
    void lookupsIgnoreCase() {
        Headers h = Headers.of("Content-Type", "text/plain", "X-Multi", "a", "x-multi", "b", "X-MULTI", "c");
        assertThat(h.first("content-type")).isEqualTo("text/plain");
        assertThat(h.first("CONTENT-TYPE")).isEqualTo("text/plain");
        assertThat(h.first("x-multi")).isEqualTo("a");
        assertThat(h.all("X-Multi")).containsExactly("a", "b", "c");
        assertThat(h.all("missing")).isEmpty();
        assertThat(h.first("missing")).isNull();
        assertThat(h.contains("x-MULTI")).isTrue();
        assertThat(h.contains("Content")).isFalse();
        assertThat(h.size()).isEqualTo(4);
    }

    @Test
    void containsWithEmptyValue() {
        assertThat(Headers.of("X-Empty", "").contains("x-empty")).isTrue();
    }

    @Test
    void namesKeepTheirCaseAndOrder() {
        Headers h = Headers.of("B", "1", "a", "2", "C", "3");
        assertThat(names(h)).containsExactly("B", "a", "C");
    }

    @Test
    void ofNeedsPairs() {
        assertThatThrownBy(() -> Headers.of("a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Headers.of("a", null)).isInstanceOf(NullPointerException.class);
        assertThat(Headers.of()).isEqualTo(Headers.EMPTY);
    }

    @Test
    void immutable() {
        List<Header> list = new ArrayList<>(List.of(new Header("a", "1")));
        Headers h = new Headers(list);
        list.add(new Header("b", "2"));
        assertThat(h.size()).isEqualTo(1);
        assertThatThrownBy(() -> h.fields().add(new Header("c", "3"))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void withoutHopByHopDropsTheStandardSet() {
        Headers h = Headers.of(
                "Connection", "keep-alive", "Keep-Alive", "timeout=5", "Proxy-Authenticate", "x",
                "Proxy-Authorization", "y", "Proxy-Connection", "close", "TE", "trailers", "Trailer", "X-Sum",
                "Trailers", "legacy", "Transfer-Encoding", "chunked", "Upgrade", "websocket",
                "Content-Type", "text/plain", "Host", "kept-by-this-method", "X-Token", "kept-too");
        assertThat(names(h.withoutHopByHop())).containsExactly("Content-Type", "Host", "X-Token");
    }

    @Test
    void withoutHopByHopDropsNamesListedInConnection() {
        Headers h = Headers.of(
                "Connection", "X-Private , Upgrade,, x-other",
                "connection", "X-Second",
                "X-Private", "1", "x-private", "2", "X-Other", "3", "X-Second", "4", "X-Public", "5");
        assertThat(names(h.withoutHopByHop())).containsExactly("X-Public");
    }

    @Test
    void withoutHopByHopReturnsSameInstanceWhenNothingToDrop() {
        Headers h = Headers.of("A", "1", "B", "2");
        assertThat(h.withoutHopByHop()).isSameAs(h);
        assertThat(Headers.EMPTY.withoutHopByHop()).isSameAs(Headers.EMPTY);
    }

    @Test
    void withoutByNamesAndPredicate() {
        Headers h = Headers.of("A", "1", "b", "2", "C", "3", "a", "4");
        assertThat(names(h.without(List.of("a", "C")))).containsExactly("b");
        assertThat(names(h.without(x -> x.value().compareTo("2") > 0))).containsExactly("A", "b");
    }

    @Test
    void withAppends() {
        Headers h = Headers.of("A", "1").with("A", "2");
        assertThat(h.all("a")).containsExactly("1", "2");
    }

    @Test
    void replacingLeavesExactlyOneField() {
        Headers h = Headers.of("X-Forwarded-For", "1.1.1.1", "Accept", "*/*", "x-forwarded-for", "2.2.2.2");
        Headers r = h.replacing("X-Forwarded-For", "9.9.9.9");
        assertThat(r.all("x-forwarded-for")).containsExactly("9.9.9.9");
        assertThat(r.first("accept")).isEqualTo("*/*");
        assertThat(r.size()).isEqualTo(2);
        assertThat(names(r)).containsExactly("Accept", "X-Forwarded-For");
        assertThat(Headers.EMPTY.replacing("A", "1")).isEqualTo(Headers.of("A", "1"));
    }

    @Test
    void equalityIsByFieldsInOrder() {
        assertThat(Headers.of("A", "1", "B", "2")).isEqualTo(Headers.of("A", "1", "B", "2"));
        assertThat(Headers.of("A", "1", "B", "2")).isNotEqualTo(Headers.of("B", "2", "A", "1"));
    }
}
