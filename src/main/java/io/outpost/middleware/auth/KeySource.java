package io.outpost.middleware.auth;

import java.util.concurrent.CompletableFuture;

/** Where the jwt middleware gets its keys: fixed (a secret, a file) or a remote JWKS. */
interface KeySource {

    /** The keys to verify with now; {@link KeySet#EMPTY} before a remote set was first loaded. */
    KeySet current();

    /**
     * Asks for fresh keys because a token named a key id that {@link #current()} lacks. Completes
     * with the keys to retry with (the old ones when the fetch failed), or returns null when no refresh
     * may start now (a fixed source, or the refresh rate limit).
     */
    CompletableFuture<KeySet> refresh();

    /** A source that never changes. */
    static KeySource fixed(KeySet keys) {
        return new KeySource() {
            @Override
            public KeySet current() {
                return keys;
            }

            @Override
            public CompletableFuture<KeySet> refresh() {
                return null;
            }
        };
    }
}
