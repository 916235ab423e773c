import Foundation
import KithCore
import KithTestSupport
import Testing

@Suite struct AssessmentTests {
    @Test func conflictedAssessorsAreRecusedWhetherDeclaredOrFoundInTheData() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let food = try f.underAssessment(f.foodBank)
        let esol = try f.underAssessment(f.esol, title: "Conversation club")
        let scores = #"{"scores": [{"criterion": "need", "score": 8}, {"criterion": "reach", "score": 6, "comment": "Good reach"}]}"#

        // B is the Food Bank's contact: recused automatically.
        let own = try server.request("PUT", "/v1/applications/\(food)/scores", key: f.assessorB, json: scores)
        #expect(own.status == 409 && own.object["type"] as? String == "urn:kith:problem:conflict-of-interest")
        #expect((own.object["conflicts"] as? [String])?.first == "is the contact of the applicant Leyton Food Bank")
        #expect(try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorB, json: scores).status == 200)

        // C is a steering member of Leyton: conflicted once Leyton endorses.
        #expect(try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorC, json: scores).status == 200)
        #expect(try server.request("POST", "/v1/applications/\(food)/endorsements", key: f.facilitator,
                                   json: #"{"network_id": "\#(f.leyton)", "recommendation": "strong_support", "note": "Fills a gap"}"#).status == 201)
        let steering = try server.request("PUT", "/v1/applications/\(food)/scores", key: f.assessorC, json: scores)
        #expect(steering.status == 409 && steering.text.contains("steering member of endorsing network Leyton Community Network"))

        // A declares a conflict: their earlier scores stop counting and they cannot score again.
        #expect(try server.request("PUT", "/v1/applications/\(food)/scores", key: f.assessorA, json: scores).status == 200)
        #expect(try server.request("POST", "/v1/applications/\(food)/conflicts", key: f.assessorA, json: #"{"reason": "My sister volunteers there"}"#).status == 204)
        #expect(try server.request("PUT", "/v1/applications/\(food)/scores", key: f.assessorA, json: scores).status == 409)
        let all = try server.request("GET", "/v1/applications/\(food)/scores", key: f.officer).object
        #expect((all["assessors"] as? [Any])?.isEmpty == true && all["weighted_score"] is NSNull)

        let panel = try server.request("GET", "/v1/rounds/\(f.round)/panel", key: f.officer).object
        let foodRow = try #require((panel["data"] as? [[String: Any]])?.first { $0["application_id"] as? String == food })
        let conflicts = (foodRow["conflicts"] as? [[String: Any]] ?? []).compactMap { $0["source"] as? String }.sorted()
        #expect(conflicts == ["declared", "detected", "detected"])
        #expect((foodRow["endorsements"] as? [[String: Any]])?.first?["recommendation"] as? String == "strong_support")

        // Scores must cover each criterion once, 0 to 10; only the round's assessors score.
        let partial = try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorA, json: #"{"scores": [{"criterion": "need", "score": 11}]}"#)
        #expect(partial.status == 422 && partial.errorFields == ["scores[0].score"])
        let missing = try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorA, json: #"{"scores": [{"criterion": "need", "score": 5}]}"#)
        #expect(missing.status == 422 && missing.errorFields == ["scores"])
        #expect(try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.officer, json: scores).status == 403)
    }

    @Test func scoresStayHiddenFromAnAssessorUntilTheyHaveScored() throws {
        let server = try TestServer()
        defer { server.stop() }
        let f = try FundingFixture(server)
        let esol = try f.underAssessment(f.esol, title: "Conversation club")
        try #require(try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorB,
                                        json: #"{"scores": [{"criterion": "need", "score": 9}, {"criterion": "reach", "score": 3}]}"#).status == 200)
        let before = try server.request("GET", "/v1/applications/\(esol)/scores", key: f.assessorA).object
        #expect(before["hidden"] as? Bool == true && (before["assessors"] as? [Any])?.isEmpty == true && before["weighted_score"] is NSNull)
        #expect(!(try server.request("GET", "/v1/applications/\(esol)/scores", key: f.assessorA).text.contains("\"score\":9")))
        let mine = try server.request("PUT", "/v1/applications/\(esol)/scores", key: f.assessorA,
                                      json: #"{"scores": [{"criterion": "need", "score": 6}, {"criterion": "reach", "score": 6}]}"#)
        #expect(mine.status == 200 && mine.object["hidden"] as? Bool == false)
        let after = try server.request("GET", "/v1/applications/\(esol)/scores", key: f.assessorA).object
        #expect((after["assessors"] as? [Any])?.count == 2)
        // (9×2 + 3)/3 = 7 and (6×2 + 6)/3 = 6: mean 6.5.
        #expect(after["weighted_score"] as? Double == 6.5)
        #expect(try server.request("GET", "/v1/applications/\(esol)/scores", key: f.officer).object["weighted_score"] as? Double == 6.5)
        #expect(try server.request("GET", "/v1/applications/\(esol)/scores", key: f.esol).status == 403, "applicants do not see scores")
    }
}
