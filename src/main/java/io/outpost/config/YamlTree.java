package io.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads one YAML document into a JSON tree for binding, with anchors, aliases and merge keys
 * ({@code <<}) resolved. Jackson's own YAML tree reading hands an alias over as the text of its name
 * and drops the anchors of scalar values, so {@code token: *secret} silently became the string
 * "secret"; SnakeYAML's composer, which Jackson reads with, resolves them. Scalars get the types
 * Jackson gave them (YAML 1.1: {@code yes} is true, {@code 010} is 8), except that {@code .inf} and
 * {@code .nan} stay strings instead of failing the whole file. An alias shares the node it names; a
 * file whose aliases expand past {@link #MAX_VALUES} values (a "billion laughs" bomb) is refused.
 */
final class YamlTree {

    /** Far beyond any real configuration, far below what exhausts memory. */
    static final long MAX_VALUES = 1_000_000;

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> TRUE = Set.of("true", "yes", "on");
    private static final BigInteger MIN_INT = BigInteger.valueOf(Integer.MIN_VALUE);
    private static final BigInteger MAX_INT = BigInteger.valueOf(Integer.MAX_VALUE);
    private static final BigInteger MIN_LONG = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);

    /** A problem with the file as YAML, at a position. */
    static final class Problem extends Exception {
        private final transient Mark mark;

        Problem(String message, Mark mark) {
            super(message, null, false, false);
            this.mark = mark;
        }

        /** One-based line, or -1. */
        int line() {
            return mark == null ? -1 : mark.getLine() + 1;
        }

        /** One-based column, or -1. */
        int column() {
            return mark == null ? -1 : mark.getColumn() + 1;
        }
    }

    /** What a file held: its one document (null when there is none), or the line where a second one starts. */
    record Document(JsonNode root, int secondDocumentLine) {}

    private final Map<Node, JsonNode> converted = new IdentityHashMap<>();
    private final Map<Node, Long> sizes = new IdentityHashMap<>();
    private final Set<Node> open = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Values converted so far, counting every alias as the values it stands for. */
    private long values;

    private YamlTree() {}

    /**
     * Reads {@code yaml}.
     *
     * @throws org.yaml.snakeyaml.error.YAMLException when it is not well-formed YAML
     * @throws Problem when it is, but cannot be a configuration tree
     */
    static Document read(String yaml) throws Problem {
        LoaderOptions options = new LoaderOptions();
        // Expansion is bounded by MAX_VALUES instead, which counts what an alias stands for.
        options.setMaxAliasesForCollections(Integer.MAX_VALUE);
        Composer composer = new Composer(new ParserImpl(new StreamReader(yaml), options), new Resolver(), options);
        if (!composer.checkNode()) {
            return new Document(null, -1);
        }
        JsonNode root = new YamlTree().convert(composer.getNode());
        if (composer.checkNode()) {
            Node second = composer.getNode();
            // An empty document after a trailing "---" is harmless; any other one would be ignored.
            if (!(second instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) || composer.checkNode()) {
                return new Document(root, second.getStartMark().getLine() + 1);
            }
        }
        return new Document(root, -1);
    }

    private JsonNode convert(Node node) throws Problem {
        JsonNode done = converted.get(node);
        if (done != null) {
            count(sizes.get(node), node);
            return done;
        }
        if (!open.add(node)) {
            throw new Problem("an alias names a value that contains the alias itself", node.getStartMark());
        }
        long before = values;
        JsonNode out;
        if (node instanceof MappingNode mapping) {
            out = mapping(mapping);
        } else if (node instanceof SequenceNode sequence) {
            ArrayNode items = JSON.arrayNode();
            for (Node item : sequence.getValue()) {
                items.add(convert(item));
            }
            out = items;
        } else {
            out = scalar((ScalarNode) node);
        }
        count(1, node);
        open.remove(node);
        converted.put(node, out);
        sizes.put(node, values - before);
        return out;
    }

    private void count(long n, Node at) throws Problem {
        values += n;
        if (values > MAX_VALUES) {
            throw new Problem("aliases expand the file to more than " + MAX_VALUES
                    + " values (expected: a configuration, not a YAML bomb)", at.getStartMark());
        }
    }

    private ObjectNode mapping(MappingNode node) throws Problem {
        ObjectNode out = JSON.objectNode();
        List<ObjectNode> merged = new ArrayList<>();
        for (NodeTuple tuple : node.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                throw new Problem("a key must be a plain value, not a list or mapping", tuple.getKeyNode().getStartMark());
            }
            if (keyNode.getTag().equals(Tag.MERGE)) {
                merge(convert(tuple.getValueNode()), merged, tuple.getValueNode());
                continue;
            }
            String key = keyNode.getValue();
            if (out.has(key)) {
                throw new Problem("Duplicate field '" + key + "'", keyNode.getEndMark());
            }
            out.set(key, convert(tuple.getValueNode()));
        }
        // YAML's merge key: entries written in the mapping win, then the merged mappings in order.
        for (ObjectNode source : merged) {
            for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!out.has(field.getKey())) {
                    out.set(field.getKey(), field.getValue());
                }
            }
        }
        return out;
    }

    private static void merge(JsonNode value, List<ObjectNode> merged, Node at) throws Problem {
        if (value instanceof ObjectNode mapping) {
            merged.add(mapping);
            return;
        }
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (!(item instanceof ObjectNode mapping)) {
                    throw new Problem("'<<' merges mappings only, found a list item that is not one", at.getStartMark());
                }
                merged.add(mapping);
            }
            return;
        }
        throw new Problem("'<<' merges a mapping or a list of mappings (expected: for example <<: *defaults)",
                at.getStartMark());
    }

    /** The node Jackson's YAML reading made for the same scalar. */
    private static JsonNode scalar(ScalarNode node) {
        String text = node.getValue();
        Tag tag = node.getTag();
        if (tag.equals(Tag.NULL)) {
            return JSON.nullNode();
        }
        if (tag.equals(Tag.BOOL)) {
            return JSON.booleanNode(TRUE.contains(text.toLowerCase(Locale.ROOT)));
        }
        if (tag.equals(Tag.INT)) {
            BigInteger value = integer(text.replace("_", ""));
            if (value == null) {
                return JSON.textNode(text);
            }
            if (value.compareTo(MIN_INT) >= 0 && value.compareTo(MAX_INT) <= 0) {
                return JSON.numberNode(value.intValue());
            }
            if (value.compareTo(MIN_LONG) >= 0 && value.compareTo(MAX_LONG) <= 0) {
                return JSON.numberNode(value.longValue());
            }
            return JSON.numberNode(value);
        }
        if (tag.equals(Tag.FLOAT)) {
            String digits = text.replace("_", "");
            if (digits.indexOf(':') >= 0 || digits.toLowerCase(Locale.ROOT).matches("[-+]?\\.(inf|nan)")) {
                return JSON.textNode(text);
            }
            try {
                return JSON.numberNode(Double.parseDouble(digits));
            } catch (NumberFormatException e) {
                return JSON.textNode(text);
            }
        }
        return JSON.textNode(text);
    }

    /** YAML 1.1 integers: decimal, 0b binary, 0x hex, 0 octal; null for the base-60 form (kept as text). */
    private static BigInteger integer(String text) {
        if (text.indexOf(':') >= 0) {
            return null;
        }
        boolean negative = text.startsWith("-");
        String digits = text.startsWith("-") || text.startsWith("+") ? text.substring(1) : text;
        BigInteger value;
        try {
            if (digits.startsWith("0b")) {
                value = new BigInteger(digits.substring(2), 2);
            } else if (digits.startsWith("0x")) {
                value = new BigInteger(digits.substring(2), 16);
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                value = new BigInteger(digits.substring(1), 8);
            } else {
                value = new BigInteger(digits);
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return negative ? value.negate() : value;
    }
}
