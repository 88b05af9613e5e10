"""The first release's tables, written out as they were created then.

Frozen: the SQL below is what `metadata.create_all` produced in the first release; it is
written out so that a change to today's table definitions never changes what this does.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None

_TABLES = """
CREATE TABLE tokens (
    id VARCHAR(16) NOT NULL, secret_hash VARCHAR(64) NOT NULL, staff VARCHAR(80) NOT NULL,
    role VARCHAR(32) NOT NULL, created_at VARCHAR(40) NOT NULL, revoked_at VARCHAR(40),
    PRIMARY KEY (id));
CREATE TABLE token_villages (
    token_id VARCHAR(16) NOT NULL, village_code VARCHAR(12) NOT NULL,
    PRIMARY KEY (token_id, village_code));
CREATE TABLE devices (
    device_id VARCHAR(64) NOT NULL, token_id VARCHAR(16) NOT NULL, last_seq BIGINT NOT NULL,
    PRIMARY KEY (device_id));
CREATE TABLE conflicts (
    id {serial} NOT NULL, version BIGINT NOT NULL, table_name VARCHAR(40) NOT NULL,
    record_id VARCHAR(64) NOT NULL, village_code VARCHAR(12), field VARCHAR(64) NOT NULL,
    kept_value TEXT, lost_value TEXT, kept_device VARCHAR(64) NOT NULL,
    lost_device VARCHAR(64) NOT NULL, lost_hlc VARCHAR(100) NOT NULL,
    created_at VARCHAR(40) NOT NULL, PRIMARY KEY (id));
CREATE INDEX ix_conflicts_village_code ON conflicts (village_code);
CREATE INDEX ix_conflicts_version ON conflicts (version);
CREATE TABLE counters (name VARCHAR(32) NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (name));
CREATE TABLE change_results (
    device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, status VARCHAR(16) NOT NULL,
    reason TEXT, version BIGINT, PRIMARY KEY (device_id, seq));
CREATE TABLE records (
    table_name VARCHAR(40) NOT NULL, record_id VARCHAR(64) NOT NULL,
    village_code VARCHAR(12), data TEXT NOT NULL, stamps TEXT NOT NULL,
    deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, hlc VARCHAR(100) NOT NULL,
    device_id VARCHAR(64) NOT NULL, PRIMARY KEY (table_name, record_id));
CREATE INDEX ix_records_village_code ON records (village_code);
CREATE INDEX ix_records_version ON records (version);
INSERT INTO counters (name, value) VALUES ('version', 0);
"""


def upgrade() -> None:
    # SQLite's rowid alias is INTEGER; PostgreSQL counts with a 64-bit sequence.
    serial = "BIGSERIAL" if op.get_context().dialect.name == "postgresql" else "INTEGER"
    for statement in _TABLES.format(serial=serial).split(";"):
        if statement.strip():
            op.execute(statement)
