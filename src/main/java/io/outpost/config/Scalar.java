package io.outpost.config;

/** A value written as one string in the file; {@code toString()} gives that string back. */
interface Scalar {}
