package io.wstunnel.srv.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** What an agent's password is checked against: a plain password ({@code -passwords}) or a hash. */
public interface Credential {
    /** Constant-time (for the plain form) or PBKDF2 / bcrypt (for the hashed forms) check. */
    boolean matches(byte[] passwordUtf8);

    /** True when checking costs real CPU (PBKDF2, bcrypt): run it off the I/O thread. */
    boolean expensive();

    static Credential plain(String password) {
        byte[] expected = password.getBytes(StandardCharsets.UTF_8);
        return new Credential() {
            @Override
            public boolean matches(byte[] passwordUtf8) {
                return MessageDigest.isEqual(passwordUtf8, expected);
            }

            @Override
            public boolean expensive() {
                return false;
            }

            @Override
            public String toString() {
                return "plain";
            }
        };
    }

    /**
     * A hashed password. Passwords that matched recently are remembered as a keyed SHA-256 (random
     * per-credential key, in memory only), so an agent's reconnects do not pay a PBKDF2 or bcrypt each.
     */
    static Credential hashed(HashedPassword hash) {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        java.util.concurrent.atomic.AtomicReference<java.util.List<byte[]>> recent =
                new java.util.concurrent.atomic.AtomicReference<>(java.util.List.of());
        return new Credential() {
            @Override
            public boolean matches(byte[] passwordUtf8) {
                byte[] tag = tag(key, passwordUtf8);
                boolean known = false;
                for (byte[] t : recent.get()) {
                    known |= MessageDigest.isEqual(t, tag);
                }
                if (known) {
                    return true;
                }
                if (!hash.matches(passwordUtf8)) {
                    return false;
                }
                recent.updateAndGet(l -> {
                    java.util.List<byte[]> n = new java.util.ArrayList<>(l);
                    n.add(0, tag);
                    return java.util.List.copyOf(n.subList(0, Math.min(4, n.size())));
                });
                return true;
            }

            @Override
            public boolean expensive() {
                return true;
            }

            @Override
            public String toString() {
                return hash.algorithm();
            }
        };
    }

    private static byte[] tag(byte[] key, byte[] password) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(key);
            return md.digest(password);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
