import Foundation
import KithCore
import KithTestSupport
import Testing
@testable import Groups

@Suite struct VerificationTests {
    @Test func statusChangesFollowTheRules() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let id = fixture["Hamptons Mutual Aid"]
        #expect(try server.request("GET", "/v1/groups/\(id)").status == 404)
        let verified = try server.request("POST", "/v1/groups/\(id)/status", key: server.adminKey, json: #"{"status": "verified"}"#)
        #expect(verified.status == 200)
        #expect(verified.object["verified_at"] as? String == server.clock.now().rfc3339)
        #expect(try server.request("GET", "/v1/groups/\(id)").status == 200)

        #expect(try server.request("POST", "/v1/groups/\(id)/status", key: server.adminKey, json: #"{"status": "inactive"}"#).status == 200)
        #expect(try server.request("GET", "/v1/groups/\(id)").status == 404, "inactive groups leave the public map")
        let closed = try server.request("POST", "/v1/groups/\(id)/status", key: server.adminKey, json: #"{"status": "closed"}"#)
        #expect(closed.status == 200)
        let bogus = try server.request("POST", "/v1/groups/\(id)/status", key: server.adminKey, json: #"{"status": "inactive"}"#)
        #expect(bogus.status == 409)
        #expect(try server.request("POST", "/v1/groups/\(id)/status", key: server.adminKey, json: #"{"status": "merged"}"#).status == 422)
        let audit = try server.request("GET", "/v1/audit?resource_type=group&resource_id=\(id)", key: server.adminKey)
        #expect(audit.array.map { $0["action"] as? String } == ["status", "status", "verify", "create"])
    }

    @Test func officersEditWithIfMatchAndGroupsEditTheirOwn() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let id = fixture["Chingford Community Hall"]
        let before = try server.request("GET", "/v1/groups/\(id)", key: server.adminKey)
        let etag = try #require(before.header("ETag"))
        let edited = try server.request("PATCH", "/v1/groups/\(id)", key: server.adminKey,
                                        json: #"{"website": "https://chingfordhall.example", "activities": ["arts_and_culture", "sport"]}"#,
                                        headers: [("If-Match", etag)])
        #expect(edited.status == 200 && edited.header("ETag") != etag)
        #expect(try server.request("PATCH", "/v1/groups/\(id)", key: server.adminKey, json: #"{"name": "X"}"#, headers: [("If-Match", etag)]).status == 412)
        #expect(try server.request("GET", "/v1/groups?activity=sport").names.contains("Chingford Community Hall"), "facets are searchable at once")

        let own = try server.makeKey(.group, scope: Scope("group:\(id)"))
        let capacity = try server.request("PUT", "/v1/groups/\(id)/capacity", key: own,
                                          json: #"{"accepting_members": true, "accepting_volunteers": false, "note": "Full on Saturdays"}"#)
        #expect(capacity.status == 200)
        #expect((try server.request("GET", "/v1/groups/\(id)").object["capacity"] as? [String: Any])?["accepting_volunteers"] as? Bool == false)
        #expect(try server.request("PATCH", "/v1/groups/\(id)", key: own, json: #"{"meeting_pattern": "Daily 9-5"}"#).status == 200)
        let sneaky = try server.request("PATCH", "/v1/groups/\(id)", key: own, json: #"{"known_to_council": false}"#)
        #expect(sneaky.status == 422 && sneaky.errorFields == ["known_to_council"], "what the council knows is not the group's to say")
        let other = fixture["Leyton Food Bank"]
        #expect(try server.request("PATCH", "/v1/groups/\(other)", key: own, json: #"{"meeting_pattern": "x"}"#).status == 403)
        #expect(try server.request("POST", "/v1/groups/\(id)/status", key: own, json: #"{"status": "closed"}"#).status == 403)
    }

    @Test func contactDetailsArePublicOnlyWithConsent() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let food = try server.request("GET", "/v1/groups/\(fixture["Leyton Food Bank"])")
        #expect((food.object["contact"] as? [String: Any])?["email"] as? String == "hello@leytonfoodbank.org")
        let esol = try server.request("GET", "/v1/groups/\(fixture["Leytonstone ESOL Conversation Club"])")
        #expect(esol.object["contact"] is NSNull)
        #expect(esol.object["known_to_council"] == nil && esol.object["status"] == nil, "council-only fields are not public")
        let partner = try server.request("GET", "/v1/groups/\(fixture["Leytonstone ESOL Conversation Club"])", key: try server.makeKey(.partner))
        #expect(partner.object["contact"] is NSNull)
        let officer = try server.request("GET", "/v1/groups/\(fixture["Leytonstone ESOL Conversation Club"])", key: try server.makeKey(.officer))
        #expect((officer.object["contact"] as? [String: Any])?["email"] as? String == "esol@example.org")
    }

    @Test func officersSeeOnlyTheirCouncil() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let peterborough = try server.makeKey(.officer, scope: Scope("area:peterborough"))
        let list = try server.request("GET", "/v1/groups", key: peterborough)
        #expect(Set(list.names) == ["Orton Litter Pickers", "Hamptons Mutual Aid"])
        #expect(try server.request("GET", "/v1/groups/\(fixture["Hamptons Mutual Aid"])", key: peterborough).object["status"] as? String == "pending")
        let leyton = fixture["Leyton Food Bank"]
        let publicView = try server.request("GET", "/v1/groups/\(leyton)", key: peterborough)
        #expect(publicView.status == 200 && publicView.object["status"] == nil, "outside its scope an officer is the public")
        #expect(try server.request("PATCH", "/v1/groups/\(leyton)", key: peterborough, json: #"{"name": "Mine"}"#).status == 403)
        let outside = try server.request("POST", "/v1/groups", key: peterborough, json: #"{"name": "X", "kind": "charity", "based_in": "leyton"}"#)
        #expect(outside.status == 422 && outside.errorFields == ["based_in"])
    }
}

@Suite struct MergeTests {
    @Test func mergeKeepsHistoryAndPointsTheOldIdAtTheNew() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let survey = try fixture.survey(#""name": "Leyton Foodbank", "kind": "charity", "based_in": "leyton", "activities": ["food", "befriending"], "offers": ["goods"], "consent_to_store": true"#)
        let duplicate = try #require(survey.object["reference"] as? String)
        let original = fixture["Leyton Food Bank"]
        let merged = try server.request("POST", "/v1/groups/\(duplicate)/merge", key: server.adminKey, json: #"{"into": "\#(original)"}"#)
        #expect(merged.status == 200)
        #expect(merged.object["activities"] as? [String] == ["advice", "befriending", "food"])
        #expect(merged.object["offers"] as? [String] == ["food", "goods"])

        let old = try server.request("GET", "/v1/groups/\(duplicate)")
        #expect(old.status == 308 && old.header("Location") == "/v1/groups/\(original)")
        #expect(old.object["merged_into"] as? String == original)
        let history = try server.request("GET", "/v1/audit?resource_id=\(duplicate)", key: server.adminKey)
        #expect(history.array.first?["action"] as? String == "merge")
        #expect(try server.request("GET", "/v1/groups?q=foodbank", key: server.adminKey).ids == [original], "the retired record drops out of lists")

        #expect(try server.request("POST", "/v1/groups/\(duplicate)/merge", key: server.adminKey, json: #"{"into": "\#(original)"}"#).status == 409)
        #expect(try server.request("PATCH", "/v1/groups/\(duplicate)", key: server.adminKey, json: #"{"name": "x"}"#).status == 409)
        let intoMerged = try server.request("POST", "/v1/groups/\(fixture["Chingford Community Hall"])/merge", key: server.adminKey, json: #"{"into": "\#(duplicate)"}"#)
        #expect(intoMerged.status == 422 && intoMerged.errorFields == ["into"])
        #expect(try server.request("POST", "/v1/groups/\(original)/merge", key: server.adminKey, json: #"{"into": "\#(original)"}"#).status == 422)

        // A chain: the hall merged into the food bank's record too, then the food bank into the knitters.
        _ = try server.request("POST", "/v1/groups/\(original)/merge", key: server.adminKey, json: #"{"into": "\#(fixture["South Chingford Knitting Circle"])"}"#)
        #expect(try server.request("GET", "/v1/groups/\(duplicate)").header("Location") == "/v1/groups/\(fixture["South Chingford Knitting Circle"])")
    }
}

@Suite struct SearchTests {
    @Test func textSearchRanksPrefixesAndForgivesTypos() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        #expect(try server.request("GET", "/v1/groups?q=food").names.first == "Leyton Food Bank")
        #expect(try server.request("GET", "/v1/groups?q=knit").names == ["South Chingford Knitting Circle"], "prefixes match")
        #expect(try server.request("GET", "/v1/groups?q=leyten%20fod").names.first == "Leyton Food Bank", "typos still find names")
        #expect(try server.request("GET", "/v1/groups?q=ESOL").names.first == "Leytonstone ESOL Conversation Club")
        // Area and list labels are searchable: "older people" is the knitters' beneficiary label.
        #expect(try server.request("GET", "/v1/groups?q=older%20people").names.first == "South Chingford Knitting Circle")
        // A name match outranks a description match.
        let chingford = try server.request("GET", "/v1/groups?q=chingford").names
        #expect(chingford.prefix(2).sorted() == ["Chingford Community Hall", "South Chingford Knitting Circle"])
        #expect(try server.request("GET", "/v1/groups?q=zzzzqqq").array.isEmpty)
        #expect(try server.request("GET", "/v1/groups?q=%22%28%2A%3A").status == 200, "FTS syntax in a query is just text")
    }

    @Test func filtersCombineAndAreasIncludeTheirChildren() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        #expect(try server.request("GET", "/v1/groups?area=chingford").names == ["Chingford Community Hall", "South Chingford Knitting Circle"])
        #expect(try server.request("GET", "/v1/groups?area=leyton").names == ["Leyton Food Bank", "Leytonstone ESOL Conversation Club"],
                "groups operating in an area count as well as those based there")
        #expect(try server.request("GET", "/v1/groups?beneficiary=new_arrivals&language=ar").names == ["Leytonstone ESOL Conversation Club"])
        #expect(try server.request("GET", "/v1/groups?activity=food,sport").names == ["Leyton Food Bank", "Walthamstow Youth Football"])
        #expect(try server.request("GET", "/v1/groups?needs=funding").names == ["Walthamstow Youth Football"])
        #expect(try server.request("GET", "/v1/groups?offers=space").names == ["Chingford Community Hall"])
        #expect(try server.request("GET", "/v1/groups?newly_formed=true&area=waltham-forest").array.count == 2)
        #expect(try server.request("GET", "/v1/groups?area=peterborough").names == ["Orton Litter Pickers"])
        #expect(try server.request("GET", "/v1/groups?known_to_council=false", key: server.adminKey).array.count == 5)
        #expect(try server.request("GET", "/v1/groups?known_to_council=false").status == 403, "the public cannot filter by what the council knows")
        #expect(try server.request("GET", "/v1/groups?activity=juggling").status == 400)
        #expect(try server.request("GET", "/v1/groups?area=atlantis").status == 400)
        #expect(try server.request("GET", "/v1/groups?colour=red").status == 400)
    }

    @Test func nearSearchesSortByDistance() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        // Leyton station-ish.
        let near = try server.request("GET", "/v1/groups?near=51.5590,-0.0080&radius_km=3")
        #expect(near.names == ["Leyton Food Bank", "Leytonstone ESOL Conversation Club", "Walthamstow Youth Football"])
        let distances = near.array.compactMap { $0["distance_km"] as? Double }
        #expect(distances == distances.sorted() && distances.count == 3)
        #expect(abs(distances[0] - 0.39) < 0.05, "great-circle distance, not degrees")
        #expect(try server.request("GET", "/v1/groups?near=51.5590,-0.0080&radius_km=0.2").array.isEmpty)
        let byName = try server.request("GET", "/v1/groups?near=51.5590,-0.0080&radius_km=3&sort=name").names
        #expect(byName == byName.sorted())
        #expect(try server.request("GET", "/v1/groups?near=95,0").status == 400)
        #expect(try server.request("GET", "/v1/groups?sort=distance").status == 400)
    }

    @Test func everySortPagesWithoutGapsOrRepeats() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        for sort in ["name", "newest", "relevance", "distance"] {
            var query = "sort=\(sort)&limit=2"
            if sort == "relevance" { query += "&q=c" }
            if sort == "distance" { query += "&near=51.58,-0.01&radius_km=100" }
            let all = try server.request("GET", "/v1/groups?\(query.replacingOccurrences(of: "limit=2", with: "limit=50"))").ids
            var paged: [String] = []
            var cursor: String?
            repeat {
                let page = try server.request("GET", "/v1/groups?\(query)" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.status == 200)
                paged += page.ids
                cursor = page.object["next_cursor"] as? String
            } while cursor != nil && paged.count < 20
            #expect(paged == all, "sort \(sort)")
            #expect(!all.isEmpty)
        }
        let newest = try server.request("GET", "/v1/groups?sort=newest").names
        #expect(newest.first == "Orton Litter Pickers")
    }

    @Test func mutualSupportMatchesNeedsWithOffersNearestFirst() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        let needs = try server.request("GET", "/v1/groups/\(fixture["Leyton Food Bank"])/matches")
        #expect(needs.status == 200)
        let matched = needs.array.compactMap { ($0["group"] as? [String: Any])?["name"] as? String }
        #expect(matched == ["Walthamstow Youth Football", "Chingford Community Hall"], "volunteers and space, nearest first")
        #expect(needs.array.last?["reasons"] as? [String] == ["premises met by space", "volunteers met by volunteers"])
        let offers = try server.request("GET", "/v1/groups/\(fixture["Chingford Community Hall"])/matches?direction=offers")
        #expect(offers.array.compactMap { ($0["group"] as? [String: Any])?["name"] as? String } == ["Leyton Food Bank"],
                "pending groups (Hamptons Mutual Aid) are not offered as matches")
        #expect(try server.request("GET", "/v1/groups/\(fixture["Hamptons Mutual Aid"])/matches").status == 404)
    }

    @Test func vocabularyListsTheControlledValues() throws {
        let server = try TestServer()
        defer { server.stop() }
        let vocabulary = try server.request("GET", "/v1/groups/vocabulary")
        let activities = vocabulary.object["activities"] as? [[String: String]] ?? []
        #expect(activities.contains { $0["value"] == "english_language" && $0["label"] == "English language (ESOL)" })
        #expect((vocabulary.object["scales"] as? [String])?.contains("borough_wide") == true)
    }
}

@Suite struct DashboardTests {
    @Test func figuresMatchTheFixture() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let viewer = try server.makeKey(.viewer)
        let board = try server.request("GET", "/v1/groups/dashboard", key: viewer).object
        #expect(board["total"] as? Int == 6)
        #expect(board["suppression_threshold"] is NSNull)
        #expect(board["previously_unknown_to_council"] as? Int == 4)
        #expect(board["known_to_council"] as? Int == 2)
        #expect(board["working_with_council"] as? Int == 1)
        #expect(board["newly_formed"] as? Int == 2)
        #expect(board["needing_council_help"] as? Int == 4)
        #expect(board["by_status"] == nil, "statuses are for council staff")
        func count(_ list: String, _ value: String) -> Int? {
            (board[list] as? [[String: Any]])?.first { $0["value"] as? String == value }?["count"] as? Int
        }
        #expect(count("by_activity", "arts_and_culture") == 2)
        #expect(count("by_beneficiary", "new_arrivals") == 2)
        #expect(count("by_offer", "volunteers") == 2)
        #expect(count("by_kind", "community_group") == 5)
        let areas = (board["by_area"] as? [[String: Any]] ?? []).map { "\($0["area"] ?? ""):\($0["count"] ?? "")" }
        #expect(areas == ["peterborough:1", "waltham-forest:5"])

        let walthamForest = try server.request("GET", "/v1/groups/dashboard?area=waltham-forest", key: viewer).object
        let children = (walthamForest["by_area"] as? [[String: Any]] ?? []).map { "\($0["area"] ?? ""):\($0["count"] ?? "")" }
        #expect(children == ["chingford:2", "leyton:1", "leytonstone:1", "walthamstow:1"])
        let gaps = walthamForest["gaps"] as? [[String: Any]] ?? []
        let chingford = (gaps.first { $0["area"] as? String == "chingford" }?["cells"] as? [[String: Any]]) ?? []
        #expect(chingford.first { $0["beneficiary"] as? String == "refugees" }?["flag"] as? String == "none")
        #expect(chingford.first { $0["beneficiary"] as? String == "older_people" }?["flag"] as? String == "few")

        let staff = try server.request("GET", "/v1/groups/dashboard?status=all", key: server.adminKey).object
        #expect(staff["total"] as? Int == 7)
        #expect((staff["by_status"] as? [String: Any])?["pending"] as? Int == 1)
        let period = try server.request("GET", "/v1/groups/dashboard?from=2026-11-26T09:03:30Z", key: viewer).object
        #expect(period["total"] as? Int == 3, "groups added after the third")
    }

    @Test func thePublicSeesSmallCountsSuppressed() throws {
        let server = try TestServer()
        defer { server.stop() }
        _ = try GroupsFixture(server)
        let board = try server.request("GET", "/v1/groups/dashboard").object
        #expect(board["suppression_threshold"] as? Int == 5)
        #expect(board["total"] as? Int == 6)
        let food = (board["by_activity"] as? [[String: Any]])?.first { $0["value"] as? String == "food" }
        #expect(food?["count"] is NSNull && food?["suppressed"] as? Bool == true)
        let none = (board["by_activity"] as? [[String: Any]])?.first { $0["value"] as? String == "housing" }
        #expect(none?["count"] as? Int == 0)
        #expect(try server.request("GET", "/v1/groups/dashboard?status=pending").status == 403)
    }
}

@Suite struct RankingTests {
    @Test func anExactNameOutranksPrefixMatches() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fixture = try GroupsFixture(server)
        for name in ["Leytonstone Food Club", "Leyton Food Hub", "Leyton Choir", "Food Bank Friends of Leyton and Leytonstone"] {
            _ = try server.request("POST", "/v1/groups", key: server.adminKey,
                                   json: #"{"name": "\#(name)", "kind": "community_group", "based_in": "leyton", "description": "Leyton food bank food bank food bank"}"#)
        }
        #expect(try server.request("GET", "/v1/groups?q=leyton%20food%20bank").ids.first == fixture["Leyton Food Bank"])
        #expect(try server.request("GET", "/v1/groups?q=Leyton%20Food%20Bank!").ids.first == fixture["Leyton Food Bank"])
        // A typo: the closest name comes first, and unrelated Leyton groups are not dragged in.
        let typo = try server.request("GET", "/v1/groups?q=leyten%20fod%20bank").names
        #expect(typo.first == "Leyton Food Bank")
        #expect(!typo.contains("Leyton Choir"))
        #expect(GroupSearch.editDistance("leyten", "leyton") == 1)
    }
}
