"""Small hand-written inputs in each real format, for parser and malformed-input tests."""

from __future__ import annotations

ATOM = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/x</id>
  <title>arXiv Query: tides</title>
  <entry>
    <id>http://arxiv.org/abs/2501.00001v2</id>
    <title>Tidal Models of
      Small Lakes</title>
    <updated>2025-01-09T10:00:00Z</updated>
    <published>2025-01-02T09:30:00Z</published>
    <summary>  We model tides in small lakes
and find them small.</summary>
    <link href="https://arxiv.org/pdf/2501.00001v2" rel="related" type="application/pdf" title="pdf"/>
    <category term="physics.ao-ph" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <arxiv:primary_category term="cs.LG"/>
    <arxiv:comment>9 pages</arxiv:comment>
    <arxiv:doi>10.1234/lakes.1</arxiv:doi>
    <author><name>Ada Brook</name></author>
    <author><name>Ben Shore</name></author>
  </entry>
  ENTRY2
  <entry>
    <id>http://arxiv.org/abs/2501.00003v1</id>
    <title>Wave Counting</title>
    <summary>Counting waves on a calm day.</summary>
    <published>2025-01-03T09:30:00Z</published>
    <author><name>Cy Wave</name></author>
  </entry>
</feed>
"""
ATOM_ENTRY2 = """<entry>
    <id>http://arxiv.org/abs/2501.00002v1</id>
    <title>Currents in Canals</title>
    <summary>Canal currents are slow.</summary>
    <published>2025-01-02T11:00:00Z</published>
    <author><name>Dee Canal</name></author>
  </entry>"""

OAI = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2025-01-06T20:49:59Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXivRaw">http://export.arxiv.org/oai2</request>
<ListRecords>
<record><header><identifier>oai:arXiv.org:2501.00011</identifier><datestamp>2025-01-05</datestamp>
<setSpec>cs</setSpec></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2501.00011</id><submitter>Ann Field</submitter>
<version version="v1"><date>Mon, 6 Jan 2025 10:00:00 GMT</date><size>100kb</size></version>
<version version="v2"><date>Fri, 10 Jan 2025 12:00:00 GMT</date><size>120kb</size></version>
<title>Meadow Graphs for
  Flower Counting</title><authors>Ann Field, Bo Stem, and Cal Petal</authors>
<categories>cs.CV cs.LG</categories><comments>8 pages</comments>
<abstract>  Meadows are graphs of flowers.
</abstract></arXivRaw></metadata></record>
RECORD2
<record><header><identifier>oai:arXiv.org:2501.00013</identifier><datestamp>2025-01-05</datestamp></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2501.00013</id>
<version version="v1"><date>Mon, 6 Jan 2025 10:00:00 GMT</date></version>
<title>Pollen Paths</title><authors>Dan Bee</authors><categories>cs.LG</categories>
<abstract>Bees carry pollen.</abstract></arXivRaw></metadata></record>
<resumptionToken cursor="0" completeListSize="3">123|1001</resumptionToken>
</ListRecords>
</OAI-PMH>
"""
OAI_RECORD2 = """<record><header><identifier>oai:arXiv.org:2501.00012</identifier><datestamp>2025-01-05</datestamp>
</header><metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2501.00012</id>
<version version="v1"><date>Mon, 6 Jan 2025 10:00:00 GMT</date></version>
<title>Roots and Shoots</title><authors>Eve Root</authors><categories>cs.LG</categories>
<abstract>Roots grow down.</abstract></arXivRaw></metadata></record>"""

RSS = """<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <item>
      <title>Learning to Fold Paper Cranes</title>
      <link>https://arxiv.org/abs/2501.00021</link>
      <description>arXiv:2501.00021v1 Announce Type: new
Abstract: A robot folds paper cranes from a single demonstration.</description>
      <category>cs.LG</category><category>cs.RO</category>
      <pubDate>Mon, 06 Jan 2025 00:00:00 -0500</pubDate>
      <dc:creator>Fay Fold, Gus Crane</dc:creator>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    </item>
    ITEM2
    <item>
      <title>Origami Priors</title>
      <link>https://arxiv.org/abs/2501.00023</link>
      <description>arXiv:2501.00023v2 Announce Type: replace
Abstract: Priors for origami shapes.</description>
      <dc:creator>Hal Fold</dc:creator>
    </item>
  </channel>
</rss>
"""
RSS_ITEM2 = """<item>
      <title>Crease Patterns</title>
      <link>https://arxiv.org/abs/2501.00022</link>
      <description>arXiv:2501.00022v1 Announce Type: new
Abstract: Crease patterns as graphs.</description>
      <dc:creator>Ida Crease</dc:creator>
    </item>"""

HF_ITEM = """{"paper": {"id": "%(id)s", "authors": [{"_id": "a1", "name": "Jo Upvote", "hidden": false},
 {"_id": "a2", "name": "Kim Star", "hidden": false}], "publishedAt": "2025-01-05T12:00:00.000Z",
 "submittedOnDailyAt": "2025-01-07T00:00:00.000Z", "title": "%(title)s", "summary": "A summary of it.",
 "upvotes": %(upvotes)d, "discussionId": "d1", "githubRepo": "https://github.com/example/repo",
 "githubStars": 42, "submittedOnDailyBy": {"_id": "u1", "user": "curator", "fullname": "Cu Rator",
 "type": "user"}}, "publishedAt": "2025-01-05T12:00:00.000Z", "title": "%(title)s",
 "summary": "A summary of it.", "numComments": 3, "submittedBy": {"_id": "u1", "name": "curator",
 "fullname": "Cu Rator", "type": "user"}}"""


def hf_item(arxiv_id: str, title: str, upvotes: int) -> str:
    """One /api/daily_papers item."""
    return HF_ITEM % {"id": arxiv_id, "title": title, "upvotes": upvotes}


KAGGLE_LINE = (
    '{"id": "%(id)s", "submitter": "Lu Line", "authors": "Lu Line and Mo Row", "title": "%(title)s", '
    '"comments": "5 pages", "journal-ref": null, "doi": null, "report-no": null, "categories": "cs.DB cs.LG", '
    '"license": null, "abstract": "  Lines of JSON\\n  are easy.\\n", "versions": [{"version": "v1", '
    '"created": "Mon, 6 Jan 2025 10:00:00 GMT"}, {"version": "v2", "created": "Tue, 7 Jan 2025 11:00:00 GMT"}], '
    '"update_date": "2025-01-07", "authors_parsed": [["Line", "Lu", ""], ["Row", "Mo", ""]]}'
)


def kaggle_line(arxiv_id: str, title: str) -> str:
    """One line of the Kaggle arXiv snapshot."""
    return KAGGLE_LINE % {"id": arxiv_id, "title": title}
