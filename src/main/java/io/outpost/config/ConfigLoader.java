package io.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a YAML file into an {@link OutpostConfig}, reporting every error at once with its key path.
 * Binding is done by hand rather than by data binding so that one bad value does not hide the rest,
 * and so that each message can say what was expected.
 *
 * <pre>{@code
 * ConfigResult result = new ConfigLoader(ruleParser::check).load(Path.of("outpost.yaml"));
 * if (result instanceof ConfigResult.Invalid invalid) {
 *     invalid.errors().forEach(e -> log.error("{}", e));
 * }
 * }</pre>
 */
public final class ConfigLoader {

    private final RuleChecker rules;
    private final CertificateChecker certificates;

    /** A loader that does not check rule syntax; TLS files are checked by {@link CertificateChecker#installed()}. */
    public ConfigLoader() {
        this(RuleChecker.ACCEPT_ALL);
    }

    /** A loader whose TLS files are checked by {@link CertificateChecker#installed()}. */
    public ConfigLoader(RuleChecker rules) {
        this(rules, CertificateChecker.installed());
    }

    public ConfigLoader(RuleChecker rules, CertificateChecker certificates) {
        this.rules = Objects.requireNonNull(rules, "rules");
        this.certificates = Objects.requireNonNull(certificates, "certificates");
    }

    /** Loads {@code file}; an unreadable file is an error like any other. */
    public ConfigResult load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return unreadable(file, e);
        }
        return parse(bytes, file.toString());
    }

    /** What {@link #load} reports for a file that cannot be read, in words rather than an exception's name. */
    public static ConfigResult unreadable(Path file, IOException e) {
        String why;
        if (e instanceof NoSuchFileException) {
            why = "no such file";
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied";
        } else if (Files.isDirectory(file)) {
            why = "it is a directory";
        } else {
            why = Objects.requireNonNullElse(e.getMessage(), e.toString());
        }
        return new ConfigResult.Invalid(List.of(new ConfigError(file.toString(), "cannot read the file: " + why)), List.of());
    }

    /** Parses the bytes of a file, which must be UTF-8 (as YAML requires); {@code sourceName} names it in errors. */
    public ConfigResult parse(byte[] utf8, String sourceName) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharBuffer out = CharBuffer.allocate(utf8.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int bad = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < bad; i++) {
                if (utf8[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            return new ConfigResult.Invalid(List.of(new ConfigError(sourceName, String.format(
                    "cannot read the file: it is not UTF-8 text (byte 0x%02x at line %d, column %d)",
                    utf8[bad] & 0xff, line, bad - lineStart + 1))), List.of());
        }
        decoder.flush(out);
        return parse(out.flip().toString(), sourceName);
    }

    /** Parses {@code yaml}; {@code sourceName} names it in syntax errors. */
    public ConfigResult parse(String yaml, String sourceName) {
        YamlTree.Document document;
        try {
            document = YamlTree.read(yaml);
        } catch (YamlTree.Problem e) {
            return new ConfigResult.Invalid(List.of(syntaxError(e.getMessage(), e.line(), e.column(), sourceName)), List.of());
        } catch (YAMLException e) {
            return new ConfigResult.Invalid(List.of(syntaxError(e, sourceName)), List.of());
        }
        if (document.secondDocumentLine() > 0) {
            return new ConfigResult.Invalid(List.of(new ConfigError(sourceName, "the file holds a second YAML document, from line "
                    + document.secondDocumentLine() + " (expected: one document per file)")), List.of());
        }
        JsonNode tree = document.root();
        if (tree == null || tree.isNull() || tree.isTextual() && tree.asText().isEmpty()) {
            return new ConfigResult.Invalid(List.of(new ConfigError(sourceName, "the configuration is empty")), List.of());
        }
        if (!tree.isObject()) {
            return new ConfigResult.Invalid(List.of(new ConfigError(sourceName,
                    "expected a mapping at the top level, found " + Node.describe(tree))), List.of());
        }
        Problems problems = new Problems();
        Node root = new Node(tree, "", problems, certificates);
        OutpostConfig config = RootBinder.bind(root);
        CrossChecker.check(root, config, rules);
        List<ConfigError> warnings = inFileOrder(problems.warnings(), tree);
        if (!problems.any()) {
            return new ConfigResult.Valid(config, warnings);
        }
        return new ConfigResult.Invalid(inFileOrder(problems.all(), tree), warnings);
    }

    private static ConfigError syntaxError(YAMLException e, String sourceName) {
        int line = -1;
        int column = -1;
        if (e instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            line = marked.getProblemMark().getLine() + 1;
            column = marked.getProblemMark().getColumn() + 1;
        }
        // SnakeYAML's message interleaves its sentences with indented source excerpts; keep the sentences.
        String sentences = Objects.requireNonNullElse(e.getMessage(), e.toString()).lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip).collect(Collectors.joining("; "));
        return syntaxError(sentences, line, column, sourceName);
    }

    private static ConfigError syntaxError(String message, int line, int column, String sourceName) {
        String where = line < 0 ? "" : " at line " + line + ", column " + column;
        return new ConfigError(sourceName, "YAML syntax error" + where + ": " + message);
    }

    /** Sorts errors by where their key (or its nearest existing parent) appears in the file; ties keep binding order. */
    private static List<ConfigError> inFileOrder(List<ConfigError> errors, JsonNode tree) {
        Map<String, Integer> order = new HashMap<>();
        number(tree, "", order);
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparingInt(e -> position(e.path(), order)));
        return sorted;
    }

    private static void number(JsonNode node, String path, Map<String, Integer> order) {
        order.putIfAbsent(path, order.size());
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> number(f.getValue(), path.isEmpty() ? f.getKey() : path + "." + f.getKey(), order));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                number(node.get(i), path + "[" + i + "]", order);
            }
        }
    }

    private static int position(String path, Map<String, Integer> order) {
        String p = path;
        while (!order.containsKey(p)) {
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return order.getOrDefault(cut == 0 ? "" : p.substring(0, Math.max(cut, 0)), 0);
            }
            p = p.substring(0, cut);
        }
        return order.get(p);
    }
}
