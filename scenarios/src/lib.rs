//! faultline-scenarios: the scenario catalog, the seed runner and the regression corpus.
