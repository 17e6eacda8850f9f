package io.wstunnel.srv.agent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** Checks an agent's Basic credentials for tokens that have a password (LEGACY.md §1 wording). */
final class PasswordCheck {
    private PasswordCheck() {
    }

    /**
     * @param expected the token's password, or null when the token needs none
     * @return null when the agent may connect, else the plain-text reason for a 401
     */
    static String check(String expected, String token, String authorization) {
        return check(expected == null ? null : io.wstunnel.srv.auth.Credential.plain(expected), token, authorization);
    }

    /**
     * @param expected the token's credential (plain or hashed), or null when the token needs none
     * @return null when the agent may connect, else the plain-text reason for a 401
     */
    static String check(io.wstunnel.srv.auth.Credential expected, String token, String authorization) {
        if (expected == null) {
            return null; // a token without a password ignores Authorization (a proxy may use it)
        }
        if (authorization == null || authorization.isEmpty()) {
            return "Authorization required for this token";
        }
        if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return "Invalid authorization type (must be Basic)";
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(authorization.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return "Invalid authorization encoding";
        }
        String pair = new String(decoded, StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon < 0) {
            return "Invalid authorization format";
        }
        boolean tokenOk = MessageDigest.isEqual(pair.substring(0, colon).getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
        boolean passwordOk = expected.matches(pair.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
        return tokenOk & passwordOk ? null : "Invalid token or password";
    }
}
