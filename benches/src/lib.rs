//! Benchmarks for albmtls. The `decode-only` binary is the baseline the comparison
//! script measures albmtls against: the same engine (listing, order, gzip decoding on
//! reader threads, inputs in parallel) with no tokenizing, filtering or aggregation.
