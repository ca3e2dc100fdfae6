"""The shared text analysis: what a document indexes and what a query asks for."""

from search.analysis import (
    analyze,
    analyze_fields,
    han_pinyin,
    parse_query,
    segment_pinyin,
    text_score,
)


def _fields(name="", place="", body=""):
    return {field: set(tokens) for field, tokens in analyze_fields([name], [place], [body]).items()}


def test_two_character_words_are_indexed_as_bigrams():
    tokens = analyze("专业护理养老服务")
    assert {"护理", "养老", "专业", "服务"} <= set(tokens)


def test_overlapping_bigrams_cover_every_adjacent_pair():
    assert {"认知", "知症"} <= set(analyze("认知症"))


def test_long_text_does_not_index_single_characters_but_short_fields_do():
    assert "护" not in analyze("护理院")
    assert "护" in analyze("护理院", unigrams=True)


def test_an_isolated_han_character_stays_a_unigram():
    assert "护" in analyze("护")


def test_two_character_query_matches_a_longer_text_containing_it():
    groups = parse_query("养老")
    assert text_score(groups, _fields(body="社区养老服务中心")) == 1


def test_three_character_query_needs_both_of_its_bigrams():
    groups = parse_query("认知症")
    assert groups == [[("知症", "认知")]]
    assert text_score(groups, _fields(body="认知障碍与失智症")) == 0
    assert text_score(groups, _fields(body="认知症照护")) == 1


def test_changning_reads_chang_ning_inside_shanghai_changning_district():
    assert han_pinyin("上海市长宁区") == ["shang", "hai", "shi", "chang", "ning", "qu"]
    assert "p:changning" in analyze("上海市长宁区")
    assert "p:shizhang" not in analyze("上海市长宁区")


def test_luan_reads_lu_an():
    assert han_pinyin("六安") == ["lu", "an"]
    assert "p:luan" in analyze("六安市金安区")


def test_pinyin_query_matches_the_place_name():
    fields = _fields(place="上海市长宁区")
    assert text_score(parse_query("changning"), fields) == 3
    assert text_score(parse_query("Chang'ning"), fields) == 3


def test_initials_match_a_name_prefix_of_three_syllables_or_more():
    name = _fields(name="上海养老院")
    assert text_score(parse_query("shyl"), name) == 4
    assert text_score(parse_query("shy"), name) == 4
    assert text_score(parse_query("hyly"), name) == 0  # not a prefix


def test_two_initials_and_initials_outside_names_match_nothing():
    assert text_score(parse_query("sh"), _fields(name="上海养老院")) == 0
    assert text_score(parse_query("shcn"), _fields(place="上海市长宁区", body="上海长宁")) == 0


def test_nonsense_letters_match_no_document():
    fields = _fields(name="徐州市鼓楼区颐养院", place="江苏省徐州市鼓楼区", body="专业护理 认知症照护 医保定点")
    for word in ("xyzzy", "zzzz", "sz"):
        assert text_score(parse_query(word), fields) == 0, word


def test_pinyin_is_segmented_into_the_fewest_syllables():
    assert segment_pinyin("suzhou") == ["su", "zhou"]
    assert segment_pinyin("xyz") == []


def test_english_plural_is_stripped_from_longer_words():
    assert analyze("Nursing Homes") == ("e:home", "e:nursing")
    assert analyze("glass") == ("e:glass",)
    assert analyze("bus") == ("e:bus",)


def test_english_stopwords_are_dropped():
    assert analyze("the home of care") == ("e:care", "e:home")
    assert parse_query("the") == []


def test_full_width_letters_and_digits_fold_to_half_width():
    assert analyze("ＮＵＲＳＩＮＧ１２") == ("e:nursing12",)
    assert parse_query("ＳＨＹＬ") == parse_query("shyl")


def test_each_query_word_is_one_group_and_repeats_collapse():
    groups = parse_query("苏州 医保 苏州")
    assert groups == [[("苏州",)], [("医保",)]]


def test_latin_query_word_offers_english_and_pinyin_alternatives():
    assert parse_query("suzhou") == [[("e:suzhou",), ("p:suzhou",)]]


def test_text_score_takes_the_best_field_per_group_and_sums_groups():
    fields = _fields(name="姑苏护理院", place="江苏省苏州市姑苏区", body="医保定点 护理")
    assert text_score(parse_query("护理"), fields) == 4
    assert text_score(parse_query("苏州 护理"), fields) == 3 + 4
    assert text_score(parse_query("医保"), fields) == 1


def test_a_document_missing_one_group_does_not_match():
    fields = _fields(name="姑苏护理院", body="护理")
    assert text_score(parse_query("护理 认知症"), fields) == 0


def _typo_score(word, fields):
    return text_score(parse_query(word, typo_words=(word,)), fields)


def test_a_name_word_matches_a_typed_word_one_edit_away_of_every_kind():
    fields = _fields(name="向阳颐养院 Xiangyang Evergreen Home")
    for word in ("xiangyan", "xiangyangg", "xiangyanh", "xaingyang", "evergren", "evergreem", "evregreen"):
        assert _typo_score(word, fields) == 4, word
        assert text_score(parse_query(word), fields) == 0, word  # only when the query asks for it


def test_two_edits_short_words_and_nonsense_match_no_name():
    fields = _fields(name="向阳颐养院 Xiangyang Evergreen Home")
    for word in ("xaingyagn", "evrgren", "homme"[:4], "xyzzy", "qqqqq", "asdfgh"):
        assert _typo_score(word, fields) == 0, word


def test_typos_match_names_only():
    fields = _fields(place="江苏省南京市鼓楼区向阳街道", body="xiangyang evergreen")
    assert _typo_score("xiangyan", fields) == _typo_score("evergren", fields) == 0
