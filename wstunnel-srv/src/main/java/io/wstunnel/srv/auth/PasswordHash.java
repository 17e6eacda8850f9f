package io.wstunnel.srv.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A PBKDF2-HMAC-SHA256 password hash written {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}, salt
 * and hash in standard base64 without padding (the passlib/Django-like layout; JDK crypto only).
 */
public final class PasswordHash implements HashedPassword {
    public static final String PREFIX = "pbkdf2-sha256$";
    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    public static final int MIN_ITERATIONS = 10_000;
    public static final int MAX_ITERATIONS = 10_000_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;

    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash) {
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /** A new hash of {@code password} with a random salt. */
    public static PasswordHash create(char[] password, int iterations) {
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS);
        }
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return new PasswordHash(iterations, salt, derive(password, salt, iterations, HASH_BYTES));
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException with a reason that does not repeat the value
     */
    public static PasswordHash parse(String text) {
        String s = text.trim();
        if (!s.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a pbkdf2-sha256$<iterations>$<salt>$<hash> hash");
        }
        String[] parts = s.substring(PREFIX.length()).split("\\$", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a pbkdf2-sha256$<iterations>$<salt>$<hash> hash");
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad iteration count in pbkdf2-sha256 hash");
        }
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("pbkdf2-sha256 iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS);
        }
        byte[] salt;
        byte[] hash;
        try {
            salt = Base64.getDecoder().decode(parts[1]);
            hash = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad base64 in pbkdf2-sha256 hash");
        }
        if (salt.length < 8 || hash.length < 16 || hash.length > 64) {
            throw new IllegalArgumentException("pbkdf2-sha256 salt or hash too short");
        }
        return new PasswordHash(iterations, salt, hash);
    }

    /** Constant-time comparison of the derived key with the stored one. */
    @Override
    public boolean matches(byte[] passwordUtf8) {
        if (passwordUtf8.length == 0) {
            return false; // never hashed (hash-password refuses empty passwords)
        }
        CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(passwordUtf8));
        char[] pw = new char[chars.remaining()];
        chars.get(pw);
        try {
            return MessageDigest.isEqual(derive(pw, salt, iterations, hash.length), hash);
        } finally {
            Arrays.fill(pw, '\0');
            if (chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
        }
    }

    @Override
    public String algorithm() {
        return "pbkdf2-sha256";
    }

    public int iterations() {
        return iterations;
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations, int bytes) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        } finally {
            spec.clearPassword();
        }
    }

    @Override
    public String toString() {
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }
}
