"""Stage 2, proof search: samplers, the strategies (whole / rollout / tree), a search run and its run
directory (records, store, merge of shards)."""
