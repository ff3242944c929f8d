//! TBufferJSON-compatible serialisation of the models (dqmgui-api.md §8).
