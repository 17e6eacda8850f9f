package io.wstunnel.srv.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.IllegalBCryptFormatException;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bcrypt hash in the modular crypt format {@code $2b$<cost>$<22 salt chars><31 hash chars>} ({@code $2a$}
 * and {@code $2y$} too; not the buggy {@code $2x$} nor the original {@code $2$}). The hashing and the
 * constant-time comparison are at.favre.lib:bcrypt's.
 *
 * <p>Like OpenBSD's bcrypt (and htpasswd, PHP, Python's bcrypt &lt; 5), only the first 72 bytes of a
 * password count: a hash made elsewhere from a longer password matches here. {@link #create} refuses
 * such passwords instead of silently cutting them.
 */
public final class BcryptHash implements HashedPassword {
    public static final int MIN_COST = 4;
    public static final int MAX_COST = 31;
    public static final int DEFAULT_COST = 12;
    /** Key bytes bcrypt reads; the rest of a longer password is ignored. */
    public static final int MAX_PASSWORD_BYTES = 72;

    private static final Pattern FORM = Pattern.compile("\\$(2[aby])\\$([0-9]{2})\\$[./A-Za-z0-9]{53}");
    private static final String SHAPE = "bcrypt hash must be $2a$, $2b$ or $2y$, a two-digit cost, '$' and 53 characters of [./A-Za-z0-9]";

    private final BCrypt.HashData data;
    private final String text;

    private BcryptHash(BCrypt.HashData data, String text) {
        this.data = data;
        this.text = text;
    }

    /**
     * @throws IllegalArgumentException with a reason that does not repeat the value
     */
    public static BcryptHash parse(String text) {
        String s = text.trim();
        Matcher m = FORM.matcher(s);
        if (!m.matches()) {
            if (s.startsWith("$2x$") || s.startsWith("$2$")) {
                throw new IllegalArgumentException("unsupported bcrypt variant (only $2a$, $2b$ and $2y$)");
            }
            throw new IllegalArgumentException(SHAPE);
        }
        int cost = Integer.parseInt(m.group(2));
        if (cost < MIN_COST || cost > MAX_COST) {
            throw new IllegalArgumentException("bcrypt cost must be " + MIN_COST + ".." + MAX_COST + ", got " + cost);
        }
        BCrypt.HashData data;
        try {
            data = BCrypt.Version.VERSION_2A.parser.parse(s.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalBCryptFormatException | RuntimeException e) {
            throw new IllegalArgumentException(SHAPE);
        }
        return new BcryptHash(data, s);
    }

    /**
     * A new {@code $2b$} hash of {@code password} with a random salt.
     *
     * @throws IllegalArgumentException cost out of range, or a password bcrypt cannot take whole (over 72
     *                                  UTF-8 bytes, or containing NUL, where C implementations stop)
     */
    public static BcryptHash create(char[] password, int cost) {
        if (cost < MIN_COST || cost > MAX_COST) {
            throw new IllegalArgumentException("bcrypt cost must be " + MIN_COST + ".." + MAX_COST);
        }
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] pw = new byte[encoded.remaining()];
        encoded.get(pw);
        if (encoded.hasArray()) {
            Arrays.fill(encoded.array(), (byte) 0);
        }
        try {
            if (pw.length > MAX_PASSWORD_BYTES) {
                throw new IllegalArgumentException("bcrypt uses only the first " + MAX_PASSWORD_BYTES
                        + " bytes of a password and this one has " + pw.length + ": use PBKDF2 or a shorter password");
            }
            for (byte b : pw) {
                if (b == 0) {
                    throw new IllegalArgumentException("a bcrypt password cannot contain a NUL character");
                }
            }
            byte[] out = BCrypt.with(BCrypt.Version.VERSION_2B, new SecureRandom(), LongPasswordStrategies.none())
                    .hash(cost, pw);
            return parse(new String(out, StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Constant-time comparison of the recomputed hash (the library's). Empty passwords never match. */
    @Override
    public boolean matches(byte[] passwordUtf8) {
        if (passwordUtf8.length == 0) {
            return false; // as for PBKDF2: an empty password is never accepted
        }
        // none(): no SHA-512 pre-hash, no exception past 71 bytes; the cipher reads the first 72 key bytes
        // (password + NUL), which is OpenBSD's behaviour for $2a$/$2b$/$2y$.
        return BCrypt.verifyer(data.version, LongPasswordStrategies.none()).verify(passwordUtf8, data).verified;
    }

    public int cost() {
        return data.cost;
    }

    @Override
    public String algorithm() {
        return "bcrypt";
    }

    @Override
    public String toString() {
        return text;
    }
}
