-- A server database as the release before Alembic created it (schema 4), made by that
-- release's `civtui server init` on SQLite. Frozen: the migration tests start from it.

BEGIN TRANSACTION;
CREATE TABLE change_results (
                device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, status VARCHAR(16) NOT NULL,
                reason TEXT, version BIGINT, fingerprint VARCHAR(32), PRIMARY KEY (device_id, seq));
CREATE TABLE conflicts (
	id INTEGER NOT NULL, 
	version BIGINT NOT NULL, 
	table_name VARCHAR(40) NOT NULL, 
	record_id VARCHAR(64) NOT NULL, 
	village_code VARCHAR(12), 
	field VARCHAR(64) NOT NULL, 
	kept_value TEXT, 
	lost_value TEXT, 
	kept_device VARCHAR(64) NOT NULL, 
	lost_device VARCHAR(64) NOT NULL, 
	lost_hlc VARCHAR(100) NOT NULL, 
	created_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE counters (
	name VARCHAR(32) NOT NULL, 
	value BIGINT NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO "counters" VALUES('version',0);
CREATE TABLE devices (
	device_id VARCHAR(64) NOT NULL, 
	token_id VARCHAR(16) NOT NULL, 
	last_seq BIGINT NOT NULL, 
	PRIMARY KEY (device_id)
);
CREATE TABLE records (
                table_name VARCHAR(40) NOT NULL, record_id VARCHAR(64) NOT NULL,
                village_code VARCHAR(12), data TEXT NOT NULL, stamps TEXT NOT NULL,
                deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, hlc VARCHAR(100) NOT NULL,
                device_id VARCHAR(64) NOT NULL, sole_device VARCHAR(64), PRIMARY KEY (table_name, record_id));
CREATE TABLE schema_versions (
	version INTEGER NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	applied_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_versions" VALUES(1,'initial','2026-11-26T03:07:18+00:00');
INSERT INTO "schema_versions" VALUES(2,'sole_writer','2026-11-26T03:07:18+00:00');
INSERT INTO "schema_versions" VALUES(3,'pull_in_version_order','2026-11-26T03:07:18+00:00');
INSERT INTO "schema_versions" VALUES(4,'result_fingerprints','2026-11-26T03:07:18+00:00');
CREATE TABLE token_villages (
	token_id VARCHAR(16) NOT NULL, 
	village_code VARCHAR(12) NOT NULL, 
	PRIMARY KEY (token_id, village_code)
);
CREATE TABLE tokens (
	id VARCHAR(16) NOT NULL, 
	secret_hash VARCHAR(64) NOT NULL, 
	staff VARCHAR(80) NOT NULL, 
	role VARCHAR(32) NOT NULL, 
	created_at VARCHAR(40) NOT NULL, 
	revoked_at VARCHAR(40), 
	PRIMARY KEY (id)
);
CREATE INDEX ix_conflicts_village_code ON conflicts (village_code);
CREATE INDEX ix_conflicts_version ON conflicts (version);
CREATE INDEX ix_records_version_village ON records (version, village_code);
COMMIT;
