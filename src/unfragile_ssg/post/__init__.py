"""The post stage: files made from the whole rendered site (search index, sitemap, feed, link check)."""
