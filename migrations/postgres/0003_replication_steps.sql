-- Every region transition the worker applies, once: an operation finishes
-- each region of its replication at most one time.
CREATE TABLE replication_steps (
    operation_id TEXT NOT NULL,
    region TEXT NOT NULL,
    state TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    owner TEXT NOT NULL,
    CONSTRAINT replication_steps_pkey PRIMARY KEY (operation_id, region)
);
