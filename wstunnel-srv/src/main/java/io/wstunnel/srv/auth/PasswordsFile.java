package io.wstunnel.srv.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code -passwords-file}: one {@code token:hash} per line, hashes as written by
 * {@code wstunnel hash-password} ({@link PasswordHash}) or bcrypt ones ({@link BcryptHash}); blank
 * lines and lines starting with {@code #} are ignored. The token ends at the first {@code :} and has at least 16 characters.
 */
public final class PasswordsFile {
    public static final int MIN_TOKEN_LENGTH = 16;

    private PasswordsFile() {
    }

    /**
     * @throws IllegalArgumentException one line naming the file and line, never a whole token
     */
    public static Map<String, HashedPassword> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("-passwords-file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("-passwords-file " + file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    static Map<String, HashedPassword> parse(String name, String text) {
        Map<String, HashedPassword> entries = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "-passwords-file " + name + " line " + (i + 1) + ": ";
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw new IllegalArgumentException(where + "expected token:hash");
            }
            String token = line.substring(0, colon);
            if (token.length() < MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException(where + "token " + cut(token) + " is too short (must be "
                        + MIN_TOKEN_LENGTH + " chars)");
            }
            HashedPassword hash;
            try {
                hash = HashedPassword.parse(line.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage());
            }
            if (entries.put(token, hash) != null) {
                throw new IllegalArgumentException(where + "token " + cut(token) + " listed twice");
            }
        }
        return entries;
    }

    /** Enough of a token to find it, never the whole. */
    static String cut(String token) {
        return token.length() <= 8 ? "'" + "*".repeat(token.length()) + "'" : "'" + token.substring(0, 4) + "...'";
    }
}
