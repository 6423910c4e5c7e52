package io.outpost.router;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable character trie from path prefixes to the ranks of the routes filed under them.
 * Walking it along a path visits exactly the prefixes the path starts with, shortest first,
 * without allocating.
 */
final class PrefixTrie {

    private static final int[] NONE = new int[0];

    /** One trie node: children by sorted character, and the ranks (ascending) filed here. */
    static final class Node {
        private final char[] keys;
        private final Node[] children;
        final int[] ranks;

        private Node(char[] keys, Node[] children, int[] ranks) {
            this.keys = keys;
            this.children = children;
            this.ranks = ranks;
        }

        /** The child reached by {@code c}, or null. */
        Node child(char c) {
            char[] k = keys;
            if (k.length <= 8) {
                for (int i = 0; i < k.length; i++) {
                    if (k[i] == c) {
                        return children[i];
                    }
                }
                return null;
            }
            int i = Arrays.binarySearch(k, c);
            return i >= 0 ? children[i] : null;
        }
    }

    final Node root;
    final int size;

    private PrefixTrie(Node root, int size) {
        this.root = root;
        this.size = size;
    }

    /** Collects prefix-to-rank entries and freezes them into a trie. */
    static final class Builder {
        private final Draft root = new Draft();
        private int size;

        Builder add(String prefix, int rank) {
            Draft node = root;
            for (int i = 0; i < prefix.length(); i++) {
                node = node.children.computeIfAbsent(prefix.charAt(i), c -> new Draft());
            }
            if (node.ranks.add(rank)) {
                size++;
            }
            return this;
        }

        PrefixTrie build() {
            return new PrefixTrie(root.freeze(), size);
        }
    }

    private static final class Draft {
        final TreeMap<Character, Draft> children = new TreeMap<>();
        final TreeSet<Integer> ranks = new TreeSet<>();

        Node freeze() {
            char[] keys = new char[children.size()];
            Node[] frozen = new Node[children.size()];
            int i = 0;
            for (Map.Entry<Character, Draft> child : children.entrySet()) {
                keys[i] = child.getKey();
                frozen[i++] = child.getValue().freeze();
            }
            int[] sorted = ranks.isEmpty() ? NONE : ranks.stream().mapToInt(Integer::intValue).toArray();
            return new Node(keys, frozen, sorted);
        }
    }
}
