-- A server database as the release before Alembic created it (schema 4), made by that
-- release's `civtui server init` on PostgreSQL (pg_dump --inserts). Frozen: the migration tests start from it.

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.change_results (
    device_id character varying(64) NOT NULL,
    seq bigint NOT NULL,
    status character varying(16) NOT NULL,
    reason text,
    version bigint,
    fingerprint character varying(32)
);

CREATE TABLE public.conflicts (
    id bigint NOT NULL,
    version bigint NOT NULL,
    table_name character varying(40) NOT NULL,
    record_id character varying(64) NOT NULL,
    village_code character varying(12),
    field character varying(64) NOT NULL,
    kept_value text,
    lost_value text,
    kept_device character varying(64) NOT NULL,
    lost_device character varying(64) NOT NULL,
    lost_hlc character varying(100) NOT NULL,
    created_at character varying(40) NOT NULL
);

CREATE SEQUENCE public.conflicts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.conflicts_id_seq OWNED BY public.conflicts.id;

CREATE TABLE public.counters (
    name character varying(32) NOT NULL,
    value bigint NOT NULL
);

CREATE TABLE public.devices (
    device_id character varying(64) NOT NULL,
    token_id character varying(16) NOT NULL,
    last_seq bigint NOT NULL
);

CREATE TABLE public.records (
    table_name character varying(40) NOT NULL,
    record_id character varying(64) NOT NULL,
    village_code character varying(12),
    data text NOT NULL,
    stamps text NOT NULL,
    deleted boolean NOT NULL,
    version bigint NOT NULL,
    hlc character varying(100) NOT NULL,
    device_id character varying(64) NOT NULL,
    sole_device character varying(64)
);

CREATE TABLE public.schema_versions (
    version integer NOT NULL,
    name character varying(80) NOT NULL,
    applied_at character varying(40) NOT NULL
);

CREATE SEQUENCE public.schema_versions_version_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.schema_versions_version_seq OWNED BY public.schema_versions.version;

CREATE TABLE public.token_villages (
    token_id character varying(16) NOT NULL,
    village_code character varying(12) NOT NULL
);

CREATE TABLE public.tokens (
    id character varying(16) NOT NULL,
    secret_hash character varying(64) NOT NULL,
    staff character varying(80) NOT NULL,
    role character varying(32) NOT NULL,
    created_at character varying(40) NOT NULL,
    revoked_at character varying(40)
);

ALTER TABLE ONLY public.conflicts ALTER COLUMN id SET DEFAULT nextval('public.conflicts_id_seq'::regclass);

ALTER TABLE ONLY public.schema_versions ALTER COLUMN version SET DEFAULT nextval('public.schema_versions_version_seq'::regclass);

INSERT INTO public.counters VALUES ('version', 0);

INSERT INTO public.schema_versions VALUES (1, 'initial', '2026-11-26T03:07:19+00:00');
INSERT INTO public.schema_versions VALUES (2, 'sole_writer', '2026-11-26T03:07:19+00:00');
INSERT INTO public.schema_versions VALUES (3, 'pull_in_version_order', '2026-11-26T03:07:19+00:00');
INSERT INTO public.schema_versions VALUES (4, 'result_fingerprints', '2026-11-26T03:07:19+00:00');

SELECT pg_catalog.setval('public.conflicts_id_seq', 1, false);

SELECT pg_catalog.setval('public.schema_versions_version_seq', 1, false);

ALTER TABLE ONLY public.change_results
    ADD CONSTRAINT change_results_pkey PRIMARY KEY (device_id, seq);

ALTER TABLE ONLY public.conflicts
    ADD CONSTRAINT conflicts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_pkey PRIMARY KEY (device_id);

ALTER TABLE ONLY public.records
    ADD CONSTRAINT records_pkey PRIMARY KEY (table_name, record_id);

ALTER TABLE ONLY public.schema_versions
    ADD CONSTRAINT schema_versions_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.token_villages
    ADD CONSTRAINT token_villages_pkey PRIMARY KEY (token_id, village_code);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);

CREATE INDEX ix_conflicts_version ON public.conflicts USING btree (version);

CREATE INDEX ix_conflicts_village_code ON public.conflicts USING btree (village_code);

CREATE INDEX ix_records_version_village ON public.records USING btree (version, village_code);

