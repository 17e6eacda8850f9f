package io.wstunnel.app;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.auth.BcryptHash;
import io.wstunnel.srv.auth.PasswordHash;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wstunnel hash-password}: reads a password (prompting twice without echo on a terminal, else
 * the first line of standard input) and prints its PBKDF2 (or, with {@code -bcrypt}, bcrypt) hash, or a
 * whole {@code -passwords-file} line with {@code -token}.
 */
@Command(name = "hash-password", sortOptions = false,
        description = "Print a PBKDF2 (or bcrypt) hash of a password for -passwords-file (the password is read from "
                + "the terminal without echo, or from the first line of standard input).")
public final class HashPasswordCommand implements Callable<Integer> {
    private static final int MAX_PASSWORD_BYTES = 4096;

    @Spec
    CommandSpec spec;

    @Option(names = {"-token", "--token"}, paramLabel = "TOKEN",
            description = "Print a whole 'TOKEN:hash' line for -passwords-file.")
    String token;

    @Option(names = {"-iterations", "--iterations"}, paramLabel = "N", defaultValue = "600000",
            description = "PBKDF2-HMAC-SHA256 iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = {"-bcrypt", "--bcrypt"},
            description = "Print a bcrypt ($2b$) hash instead (passwords of at most 72 bytes).")
    boolean bcrypt;

    @Option(names = {"-cost", "--cost"}, paramLabel = "N", defaultValue = "12",
            description = "bcrypt cost, 4..31 (default: ${DEFAULT-VALUE}; each step doubles the time of a check).")
    int cost;

    @Mixin
    HelpOption help;

    @Override
    public Integer call() throws IOException {
        var parsed = spec.commandLine().getParseResult();
        if (bcrypt && parsed.hasMatchedOption("-iterations")) {
            throw new UsageException("-iterations is for PBKDF2; with -bcrypt use -cost");
        }
        if (!bcrypt && parsed.hasMatchedOption("-cost")) {
            throw new UsageException("-cost needs -bcrypt");
        }
        if (cost < BcryptHash.MIN_COST || cost > BcryptHash.MAX_COST) {
            throw new UsageException("-cost must be " + BcryptHash.MIN_COST + ".." + BcryptHash.MAX_COST + ", got " + cost);
        }
        if (iterations < PasswordHash.MIN_ITERATIONS || iterations > PasswordHash.MAX_ITERATIONS) {
            throw new UsageException("-iterations must be " + PasswordHash.MIN_ITERATIONS + ".."
                    + PasswordHash.MAX_ITERATIONS + ", got " + iterations);
        }
        if (token != null) {
            if (token.length() < ServerConfig.MIN_TOKEN_LENGTH) {
                throw new UsageException("-token is too short (must be " + ServerConfig.MIN_TOKEN_LENGTH + " chars)");
            }
            if (token.contains(":") || token.chars().anyMatch(Character::isWhitespace)) {
                throw new UsageException("-token must not contain ':' or white space");
            }
        }
        char[] password = read();
        try {
            if (password.length == 0) {
                throw new UsageException("empty password");
            }
            String hash;
            if (bcrypt) {
                try {
                    hash = BcryptHash.create(password, cost).toString();
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage()); // too long for bcrypt, or a NUL in it
                }
            } else {
                hash = PasswordHash.create(password, iterations).toString();
            }
            spec.commandLine().getOut().println(token == null ? hash : token + ":" + hash);
            spec.commandLine().getOut().flush();
            return Main.EXIT_OK;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private char[] read() throws IOException {
        Console console = System.console();
        if (console != null) {
            char[] first = console.readPassword("Password: ");
            char[] again = console.readPassword("Repeat password: ");
            if (first == null || again == null) {
                throw new UsageException("no password read");
            }
            boolean same = Arrays.equals(first, again);
            Arrays.fill(again, '\0');
            if (!same) {
                Arrays.fill(first, '\0');
                throw new UsageException("the passwords do not match");
            }
            return first;
        }
        return firstLine(System.in);
    }

    /** The first line of {@code in} (without CR/LF), decoded as UTF-8. */
    static char[] firstLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (buf.size() >= MAX_PASSWORD_BYTES) {
                throw new UsageException("password longer than " + MAX_PASSWORD_BYTES + " bytes");
            }
            buf.write(b);
        }
        byte[] bytes = buf.toByteArray();
        int len = bytes.length;
        if (len > 0 && bytes[len - 1] == '\r') {
            len--;
        }
        CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, len));
        char[] out = new char[chars.remaining()];
        chars.get(out);
        Arrays.fill(bytes, (byte) 0);
        if (chars.hasArray()) {
            Arrays.fill(chars.array(), '\0');
        }
        return out;
    }
}
