package io.wstunnel.protocol;

/** RFC 9110 §5.6.2 tokens (method and header names, chunk-extension names): one definition for every parser. */
public final class HttpTokens {
    private static final String DELIMITER_FREE_SYMBOLS = "!#$%&'*+-.^_`|~";

    private HttpTokens() {
    }

    /** True for a tchar: ALPHA, DIGIT or one of {@code !#$%&'*+-.^_`|~}. */
    public static boolean isTokenChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || (c > 0 && c < 0x80 && DELIMITER_FREE_SYMBOLS.indexOf(c) >= 0);
    }

    /** True for a non-empty string of tchars. */
    public static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTokenChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
