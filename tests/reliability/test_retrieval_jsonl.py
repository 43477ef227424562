"""A JSON object that repeats a key is refused, not read as its last value (issue 11).

``json.loads`` keeps the last of two equal keys silently, so a teacher-score row
``{"d1": 0.9, "d1": 0.1}`` used to lose a score and a corpus row with two ``"text"`` keys one of
its texts. Every JSONL reader of ``textls.retrieval.data`` goes through one line parser that now
refuses them with the file, the line and the key.
"""

from __future__ import annotations

import pytest

from textls.retrieval.data import load_corpus, load_queries
from textls.retrieval.side_files import load_teacher_scores


def test_teacher_scores_repeating_a_doc_is_an_error(tmp_path):
    path = tmp_path / "teacher.jsonl"
    path.write_text(
        '{"query_id": "q1", "scores": {"d1": 1.0}}\n'
        '{"query_id": "q2", "scores": {"d1": 0.9, "d2": 0.3, "d1": 0.1}}\n'
    )
    with pytest.raises(ValueError, match=r"teacher.jsonl, line 2: key 'd1' appears twice"):
        load_teacher_scores(path, ["q1", "q2"], ["d1", "d2"])


@pytest.mark.parametrize(
    ("reader", "row"),
    [
        (load_corpus, '{"_id": "d1", "text": "one", "text": "two"}'),
        (load_corpus, '{"_id": "d1", "_id": "d2", "text": "one"}'),
        (load_queries, '{"_id": "q1", "text": "one", "text": "two"}'),
    ],
)
def test_row_repeating_a_key_is_an_error(tmp_path, reader, row):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"_id": "x", "text": "fine"}\n\n' + row + "\n")
    with pytest.raises(ValueError, match=r"rows.jsonl, line 3: key '(text|_id)' appears twice"):
        reader(path)


def test_equal_keys_in_different_objects_are_fine(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"_id": "d1", "text": "t", "metadata": {"text": "m", "x": {"text": 1}}}\n')
    assert load_corpus(path) == {"d1": {"title": "", "text": "t"}}


def test_corpus_query_and_qrels_ids_are_normalised_alike(tmp_path):
    """A corpus id written as a JSON number or with spaces around it is the id the qrels name."""
    from textls.retrieval.data import load_beir

    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        '{"_id": 7, "text": "the storm passed"}\n{"_id": " d2 ", "text": "rain tomorrow"}\n'
    )
    (folder / "queries.jsonl").write_text('{"_id": " q1", "text": "storm news"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1 \t7\t1\nq1\td2\t1\n")
    data = load_beir(folder, "test")
    assert list(data.corpus) == ["7", "d2"] and list(data.queries) == ["q1"]
    assert data.positives("q1") == ["7", "d2"]
