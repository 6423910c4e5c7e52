package io.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Property: damaged versions of the shipped examples ({@code examples/*.yaml}) load, or fail with
 * errors that each carry a key path of the file (empty for the top-level mapping, the file's name for
 * a file that is not a configuration); nothing
 * else escapes the loader {@code outpost check} uses. The damage is done to the tree (a key deleted
 * or renamed, a value of another type, a random scalar, deep nesting, a part of another example
 * moved in) and to the text (characters inserted, deleted or replaced). Each case prints its seed
 * and the file it was given.
 */
class ConfigFuzzTest {

    private static final long SEED = 0xC0F1_0001L;
    private static final String SOURCE = "fuzz.yaml";
    /** The top-level keys a configuration may have; an error about a missing one names it. */
    private static final List<String> TOP_LEVEL = List.of("entryPoints", "admin", "journal", "accessLog", "http",
            "certificatesResolvers");
    private static final Object[] SCALARS = {
        0, -1, 1, 65536, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, new BigInteger("123456789012345678901234567890"),
        0.5, -0.0, 1e300, Double.NaN, Double.POSITIVE_INFINITY, true, false, null, "", " ", "0", "-1s", "1h30x",
        "1.5s", "99999999999999999999h", "10MB", "-1KB", "99999999999999999999GiB", "1e3", "http://", "htp://x",
        "http://[::1]:99999", "http://a b", "https://h:0/p?q", ":", ":0", "[::1]:80", "1.2.3.4:65536", "host:-1",
        "10.0.0.0/33", "::/0", "header:", "claim:sub", "cookie:", "PathPrefix(`/x`", "Host(`a`) && !", "`", "\u0000",
        "\u00e9\ud83d\ude00", "x".repeat(5000), "*", "~", "<<", "&a", "!!str", "%", "GET,POST", "200-399", "600",
    };

    private static final List<Object> EXAMPLES = new ArrayList<>();
    private static final List<String> TEXTS = new ArrayList<>();
    /** Every value in every example, to move into another place. */
    private static final List<Object> PARTS = new ArrayList<>();

    private final ConfigLoader loader = new ConfigLoader(RuleChecker.installed());

    @BeforeAll
    static void readExamples() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                String text = Files.readString(file);
                Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
                EXAMPLES.add(tree);
                TEXTS.add(text);
                collect(tree, PARTS);
            }
        }
        assertThat(EXAMPLES).isNotEmpty();
    }

    @Test
    void examplesWithDamagedTreesLoadOrFailWithKeyPaths() {
        for (int i = 0; i < 700; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            Object tree = copy(EXAMPLES.get(random.nextInt(EXAMPLES.size())));
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                tree = damage(random, tree);
            }
            DumperOptions options = new DumperOptions();
            options.setDefaultFlowStyle(DumperOptions.FlowStyle.values()[random.nextInt(3)]);
            options.setWidth(Integer.MAX_VALUE);
            String yaml = new Yaml(options).dump(tree);
            check("seed " + seed + ":\n" + yaml, yaml, tree);
        }
    }

    @Test
    void examplesWithDamagedTextLoadOrFailWithKeyPaths() {
        String specials = ":-{}[],#&*!|>'\"%@` \t\n\\?<\u00e9\u0000\u00a0";
        for (int i = 0; i < 700; i++) {
            long seed = SEED + 10_000 + i;
            Random random = new Random(seed);
            StringBuilder text = new StringBuilder(TEXTS.get(random.nextInt(TEXTS.size())));
            for (int n = 1 + random.nextInt(4); n > 0; n--) {
                int at = random.nextInt(text.length());
                switch (random.nextInt(3)) {
                    case 0 -> text.deleteCharAt(at);
                    case 1 -> text.insert(at, specials.charAt(random.nextInt(specials.length())));
                    default -> text.setCharAt(at, specials.charAt(random.nextInt(specials.length())));
                }
            }
            String yaml = text.toString();
            Object tree;
            try {
                tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
            } catch (RuntimeException e) {
                tree = null; // not YAML to SnakeYAML either: the loader must say so
            }
            check("seed " + seed + ":\n" + yaml, yaml, tree);
        }
    }

    private void check(String why, String yaml, Object tree) {
        ConfigResult result;
        try {
            result = loader.parse(yaml.getBytes(StandardCharsets.UTF_8), SOURCE);
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError(why + "\nescaped the loader", e);
        }
        if (result instanceof ConfigResult.Invalid invalid) {
            assertThat(invalid.errors()).as(why).isNotEmpty();
            for (ConfigError error : invalid.errors()) {
                assertThat(error.message()).as(why).isNotBlank();
                // The file's name for a file that is not a configuration; "" for the top-level mapping.
                if (!error.path().equals(SOURCE) && !error.path().isEmpty()) {
                    assertThat(first(error.path())).as(why + "\n" + error + ": not a key path of the file")
                            .isIn(keys(tree));
                }
            }
        }
    }

    /** The keys at the top of {@code tree}, and those a configuration may have. */
    private static List<String> keys(Object tree) {
        List<String> keys = new ArrayList<>(TOP_LEVEL);
        if (tree instanceof Map<?, ?> map) {
            map.keySet().forEach(k -> keys.add(String.valueOf(k)));
        }
        return keys;
    }

    private static String first(String path) {
        int end = path.length();
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '.' || c == '[') {
                end = i;
                break;
            }
        }
        return path.substring(0, end);
    }

    // ---- damage to a tree ----

    /** {@code tree} with one place damaged; the root itself may be replaced. */
    private static Object damage(Random random, Object tree) {
        List<Slot> slots = new ArrayList<>();
        slots(tree, slots);
        if (slots.isEmpty() || random.nextInt(50) == 0) {
            return replacement(random, tree);
        }
        Slot slot = slots.get(random.nextInt(slots.size()));
        switch (random.nextInt(8)) {
            case 0 -> slot.remove();
            case 1 -> {
                if (slot.key() != null && slot.key().length() > 1) {
                    Map<String, Object> map = slot.map();
                    Object value = map.remove(slot.key());
                    map.put(random.nextBoolean() ? slot.key() + "x" : slot.key().substring(1), value);
                }
            }
            case 2 -> {
                if (slot.map() != null) {
                    slot.map().put(random.nextBoolean() ? "unknown" : "<<", replacement(random, null));
                }
            }
            default -> slot.set(replacement(random, slot.get()));
        }
        return tree;
    }

    /** A value to put where {@code old} was. */
    private static Object replacement(Random random, Object old) {
        return switch (random.nextInt(6)) {
            case 0 -> SCALARS[random.nextInt(SCALARS.length)];
            case 1 -> copy(PARTS.get(random.nextInt(PARTS.size())));
            case 2 -> {
                Object deep = old;
                for (int depth = 1 + random.nextInt(70); depth > 0; depth--) {
                    deep = random.nextBoolean() ? new ArrayList<>(List.of(deep == null ? "x" : deep))
                            : new LinkedHashMap<>(Map.of("k" + depth, deep == null ? "x" : deep));
                }
                yield deep;
            }
            case 3 -> old instanceof Map<?, ?> map ? new ArrayList<>(map.values())
                    : old instanceof List<?> list && !list.isEmpty() ? copy(list.get(0))
                    : new ArrayList<>(java.util.Collections.singletonList(old));
            case 4 -> random.nextBoolean() ? new LinkedHashMap<>() : new ArrayList<>();
            default -> old instanceof Map<?, ?> || old instanceof List<?> ? String.valueOf(old).substring(0, 1)
                    : new LinkedHashMap<>(java.util.Collections.singletonMap("value", old));
        };
    }

    /** A place in a tree: a key of a mapping or an index of a list. */
    private record Slot(Map<String, Object> map, String key, List<Object> list, int index) {
        Object get() {
            return map != null ? map.get(key) : list.get(index);
        }

        void set(Object value) {
            if (map != null) {
                map.put(key, value);
            } else {
                list.set(index, value);
            }
        }

        void remove() {
            if (map != null) {
                map.remove(key);
            } else {
                list.remove(index);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void slots(Object node, List<Slot> out) {
        if (node instanceof Map<?, ?> map) {
            for (Object key : new ArrayList<>(map.keySet())) {
                out.add(new Slot((Map<String, Object>) map, String.valueOf(key), null, -1));
                slots(map.get(key), out);
            }
        } else if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                out.add(new Slot(null, null, (List<Object>) list, i));
                slots(list.get(i), out);
            }
        }
    }

    private static void collect(Object node, List<Object> out) {
        out.add(node);
        if (node instanceof Map<?, ?> map) {
            map.values().forEach(v -> collect(v, out));
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collect(v, out));
        }
    }

    /** A deep copy, so that no damage reaches the examples or a value an alias shares. */
    private static Object copy(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), copy(v)));
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(copy(v)));
            return out;
        }
        return node;
    }
}
