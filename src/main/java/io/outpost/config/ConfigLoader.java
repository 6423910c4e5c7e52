package io.outpost.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

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

    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

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
        String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new ConfigResult.Invalid(List.of(new ConfigError(file.toString(), "cannot read the file: " + e)), List.of());
        }
        return parse(yaml, file.toString());
    }

    /** Parses {@code yaml}; {@code sourceName} names it in syntax errors. */
    public ConfigResult parse(String yaml, String sourceName) {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            return new ConfigResult.Invalid(List.of(syntaxError(e, sourceName)), List.of());
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
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

    private static ConfigError syntaxError(JsonProcessingException e, String sourceName) {
        JsonLocation at = e.getLocation();
        int line = at == null ? -1 : at.getLineNr();
        int column = at == null ? -1 : at.getColumnNr();
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            line = marked.getProblemMark().getLine() + 1;
            column = marked.getProblemMark().getColumn() + 1;
        }
        // SnakeYAML's message interleaves its sentences with indented source excerpts; keep the sentences.
        String first = Objects.requireNonNullElse(e.getOriginalMessage(), e.toString()).lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip).collect(Collectors.joining("; "));
        String where = line < 0 ? "" : " at line " + line + ", column " + column;
        return new ConfigError(sourceName, "YAML syntax error" + where + ": " + first);
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
