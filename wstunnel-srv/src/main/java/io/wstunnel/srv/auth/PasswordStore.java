package io.wstunnel.srv.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' passwords: {@code -passwords} (plain, fixed) plus {@code -passwords-file} (hashed,
 * re-read when its content changes). A token may appear in only one of the two.
 */
public final class PasswordStore {
    private static final Logger log = LoggerFactory.getLogger(PasswordStore.class);

    private final Map<String, Credential> plain;
    private final Path file;
    private volatile Map<String, Credential> all;
    private byte[] fileDigest;
    private byte[] failedDigest;

    private PasswordStore(Map<String, Credential> plain, Path file) {
        this.plain = plain;
        this.file = file;
    }

    /**
     * @param plainPasswords token → password ({@code -passwords})
     * @param passwordsFile  "" for none
     * @throws IllegalArgumentException one line: short token, unreadable or malformed file, token in both
     */
    public static PasswordStore load(Map<String, String> plainPasswords, String passwordsFile) {
        Map<String, Credential> plain = new HashMap<>();
        for (Map.Entry<String, String> e : plainPasswords.entrySet()) {
            if (e.getKey().length() < PasswordsFile.MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException("-passwords: token " + PasswordsFile.cut(e.getKey())
                        + " is too short (must be " + PasswordsFile.MIN_TOKEN_LENGTH + " chars)");
            }
            plain.put(e.getKey(), Credential.plain(e.getValue()));
        }
        Path file = passwordsFile == null || passwordsFile.isBlank() ? null : Path.of(passwordsFile.trim());
        PasswordStore store = new PasswordStore(Map.copyOf(plain), file);
        if (file == null) {
            store.all = store.plain;
        } else {
            byte[] content = readBytes(file);
            store.install(digest(content), PasswordsFile.parse(file.toString(), utf8(content)));
        }
        return store;
    }

    /** The credential of {@code token}, or null when the token needs no password. */
    public Credential lookup(String token) {
        return all.get(token);
    }

    /** Number of tokens with a password. */
    public int size() {
        return all.size();
    }

    /**
     * Re-reads the passwords file when its content changed. A missing, unreadable or malformed new
     * content is logged and the previous entries stay in force.
     *
     * @return true when new entries were installed
     */
    public synchronized boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        byte[] d;
        byte[] content;
        try {
            content = readBytes(file);
            d = digest(content);
        } catch (IllegalArgumentException e) {
            if (failedDigest == null || failedDigest.length != 0) {
                log.warn("{}; keeping the previous passwords", e.getMessage());
                failedDigest = new byte[0];
            }
            return false;
        }
        if (Arrays.equals(d, fileDigest) || Arrays.equals(d, failedDigest)) {
            return false;
        }
        try {
            install(d, PasswordsFile.parse(file.toString(), utf8(content)));
        } catch (IllegalArgumentException e) {
            failedDigest = d;
            log.warn("{}; keeping the previous passwords", e.getMessage());
            return false;
        }
        log.info("-passwords-file {} reloaded: {} token(s) with a password", file, all.size());
        return true;
    }

    private void install(byte[] digest, Map<String, HashedPassword> hashed) {
        Map<String, Credential> merged = new HashMap<>(plain);
        for (Map.Entry<String, HashedPassword> e : hashed.entrySet()) {
            if (merged.containsKey(e.getKey())) {
                throw new IllegalArgumentException("-passwords-file " + file + ": token " + PasswordsFile.cut(e.getKey())
                        + " is also in -passwords");
            }
            merged.put(e.getKey(), Credential.hashed(e.getValue()));
        }
        all = Map.copyOf(merged);
        fileDigest = digest;
        failedDigest = null;
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("-passwords-file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("-passwords-file " + file + ": cannot read: " + e.getMessage());
        }
    }

    private static byte[] digest(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "PasswordStore[" + all.size() + " token(s)" + (file == null ? "" : ", file " + file) + "]";
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
