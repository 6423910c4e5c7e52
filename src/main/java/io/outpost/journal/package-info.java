/**
 * The durable write journal behind replicated services. Starting points: {@link io.outpost.journal.Journal},
 * {@link io.outpost.journal.embedded.EmbeddedJournal}.
 */
package io.outpost.journal;
