-- Resources of every type, one row each; the body holds the type's own properties as JSON.
CREATE TABLE resources (
    key TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_key TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    provisioning_state TEXT NOT NULL,
    unique_scope TEXT,
    unique_key TEXT,
    operation_id TEXT,
    body TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT resources_pkey PRIMARY KEY (key)
);
CREATE UNIQUE INDEX resources_unique_key ON resources (kind, unique_scope, unique_key)
    WHERE unique_key IS NOT NULL;
CREATE INDEX resources_children ON resources (parent_key, kind, key);
CREATE INDEX resources_by_subscription ON resources (subscription_id, kind, key);
CREATE INDEX resources_by_group ON resources (subscription_id, resource_group);

-- How many records of a kind a subscription holds per location, for quotas.
CREATE TABLE quota_usage (
    subscription_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    location TEXT NOT NULL,
    used INTEGER NOT NULL,
    CONSTRAINT quota_usage_pkey PRIMARY KEY (subscription_id, kind, location)
);

-- Long-running operations; due_at is set while one runs.
CREATE TABLE operations (
    id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    location TEXT NOT NULL,
    kind TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    due_at INTEGER,
    error TEXT,
    lease_owner TEXT,
    lease_until INTEGER,
    CONSTRAINT operations_pkey PRIMARY KEY (id)
);
CREATE INDEX operations_due ON operations (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE subscriptions (
    subscription_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT subscriptions_pkey PRIMARY KEY (subscription_id)
);

CREATE TABLE meta (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    CONSTRAINT meta_pkey PRIMARY KEY (name)
);
