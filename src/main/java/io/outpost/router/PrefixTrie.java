package io.outpost.router;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable character trie from path prefixes to the ranks of the routes filed under them.
 * {@link #deepestRanked} follows a path as far as the trie goes; climbing {@link Node#rankedParent}
 * from there visits exactly the filed prefixes the path starts with, longest first, without
 * allocating.
 */
final class PrefixTrie {

    private static final int[] NONE = new int[0];

    /** One trie node: children by sorted character, and the ranks (ascending) filed here. */
    static final class Node {
        private final char[] keys;
        private final Node[] children;
        final int[] ranks;
        /**
         * The nearest ancestor with ranks, or null. Set once while the trie is frozen, before the
         * trie is published through a final field.
         */
        Node rankedParent;

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

    /** The node of the longest prefix of {@code path} that has ranks, or null when there is none. */
    Node deepestRanked(String path) {
        Node node = root;
        Node ranked = null;
        for (int i = 0, n = path.length(); i < n; i++) {
            node = node.child(path.charAt(i));
            if (node == null) {
                break;
            }
            if (node.ranks.length > 0) {
                ranked = node;
            }
        }
        return ranked;
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
            Node frozen = root.freeze();
            link(frozen, null);
            return new PrefixTrie(frozen, size);
        }
    }

    private static void link(Node node, Node rankedAncestor) {
        node.rankedParent = rankedAncestor;
        Node below = node.ranks.length > 0 ? node : rankedAncestor;
        for (Node child : node.children) {
            link(child, below);
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
