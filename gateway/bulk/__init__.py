"""The bulk client, ``lead-archive archive``: many leads in batches of at most 500, resumable.

Through the HTTP API (``--url``, key from ``--key-file`` or ``LEAD_ARCHIVE_KEY``) or, with
``--direct``, through the procedure over ``LEAD_ARCHIVE_DATABASE_URL``. Both answer with the
same catalogue codes, so the run reacts the same way:

- ``leads_not_found``: those ids are recorded (as already archived, or as not found) and the
  rest of the batch is sent again;
- ``office_hours``: stop and say when the window opens, or sleep until then (``--wait``);
- ``database_unavailable``, ``too_many_requests``, network errors: retry with backoff;
- anything else (bad key, schema mismatch): stop.

Exit codes: 0 every lead moved; 1 finished, with leads kept or not found (see the CSV);
2 refused (settings, key, schema); 3 stopped early (office hours, database away, interrupted):
run the same command again to continue.

Its rooms: ``command`` (the command line → a job), ``state`` (the resumable state file),
``runner`` (batches in flight, retries), ``throttles`` (batch size, pauses, pace),
``transport`` (HTTP or a direct CALL), ``progress`` and ``report`` (what the operator sees).
"""
