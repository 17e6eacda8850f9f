package io.wstunnel.srv.auth;

/**
 * A password hash from {@code -passwords-file}: PBKDF2-HMAC-SHA256 ({@link PasswordHash}, what
 * {@code wstunnel hash-password} writes by default) or bcrypt ({@link BcryptHash}: {@code $2a$},
 * {@code $2b$}, {@code $2y$}, as written by htpasswd, OpenBSD, PHP, Python and most others).
 */
public sealed interface HashedPassword permits PasswordHash, BcryptHash {
    /** Recomputes the hash of the password and compares it in constant time (CPU-heavy: not on an I/O thread). */
    boolean matches(byte[] passwordUtf8);

    /** {@code pbkdf2-sha256} or {@code bcrypt}, for logs. */
    String algorithm();

    /**
     * Parses either form.
     *
     * @throws IllegalArgumentException with a reason that does not repeat the value
     */
    static HashedPassword parse(String text) {
        String s = text.trim();
        if (s.startsWith("$2")) {
            return BcryptHash.parse(s);
        }
        if (s.startsWith(PasswordHash.PREFIX)) {
            return PasswordHash.parse(s);
        }
        throw new IllegalArgumentException("not a password hash: expected pbkdf2-sha256$<iterations>$<salt>$<hash>"
                + " (wstunnel hash-password) or bcrypt $2b$<cost>$<salt and hash>");
    }
}
