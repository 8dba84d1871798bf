-- The archive as govarchive's first release (404528b, 2026-11-24) left it: three migration steps
-- applied, one article and one failure stored. tests/test_migrations.py upgrades it.

CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE TABLE "articles" (
   "url" TEXT PRIMARY KEY,
   "site" TEXT NOT NULL,
   "agency" TEXT,
   "title" TEXT NOT NULL,
   "body" TEXT NOT NULL,
   "published" TEXT,
   "modified" TEXT,
   "authors" TEXT,
   "language" TEXT,
   "categories" TEXT,
   "tags" TEXT,
   "image" TEXT,
   "source_url" TEXT,
   "http_status" INTEGER,
   "fetched_at" TEXT,
   "sha256" TEXT,
   "extractor" TEXT
);
CREATE INDEX "idx_articles_site_published"
    ON "articles" ("site", "published");
CREATE TABLE "failures" (
   "id" INTEGER PRIMARY KEY,
   "url" TEXT NOT NULL,
   "site" TEXT,
   "reason" TEXT NOT NULL,
   "http_status" INTEGER,
   "time" TEXT NOT NULL
);
CREATE INDEX "idx_failures_url"
    ON "failures" ("url");
CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (
    "title", "body",
    tokenize='trigram',
    content="articles"
);
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
END;
CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
INSERT INTO _sqlite_migrations (id, migration_set, name, applied_at) VALUES (1, 'govarchive', 'create_articles', '2026-12-04 15:56:56.637634+00:00');
INSERT INTO _sqlite_migrations (id, migration_set, name, applied_at) VALUES (2, 'govarchive', 'create_failures', '2026-12-04 15:56:56.640467+00:00');
INSERT INTO _sqlite_migrations (id, migration_set, name, applied_at) VALUES (3, 'govarchive', 'index_articles_with_trigrams', '2026-12-04 15:56:56.645798+00:00');
INSERT INTO articles (url, site, agency, title, body, published, modified, authors, language, categories, tags, image, source_url, http_status, fetched_at, sha256, extractor) VALUES ('https://www.cdd.go.th/news-001/', 'cdd', 'กรมการพัฒนาชุมชน', 'ข่าวแรก', 'เนื้อหาข่าวที่เก็บไว้ก่อนการปรับรุ่นของคลัง', '2023-09-01T10:00:00+07:00', NULL, '[]', 'th', '[]', '[]', NULL, 'https://www.cdd.go.th/news-001/', 200, '2023-09-01T03:00:00+00:00', 'x', 'trafilatura 2.0');
INSERT INTO failures (id, url, site, reason, http_status, time) VALUES (1, 'https://www.cdd.go.th/gone/', 'cdd', 'HTTP 500', 500, '2023-09-01T03:00:00+00:00');
