"""The dataclasses passed to and from workflows and activities (signals, Updates, queries,
activity inputs and answers, the case state carried across continue-as-new).

Both workflows/ and activities/ import them; nothing here imports either, so activities never
import workflow code. New fields get defaults (or the record is re-recorded: README)."""
